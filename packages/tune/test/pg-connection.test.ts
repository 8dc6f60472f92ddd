import { describe, expect, it } from 'vitest';
import { isTransient } from '../src/pg-connection.js';

describe('isTransient', () => {
  it('retries what a restarting, dropped or overloaded server sends', () => {
    expect(isTransient({ code: '57P01', message: 'terminating connection' })).toBe(true);
    expect(isTransient({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    // node-postgres' pool when no connection opened within connectionTimeoutMillis (seen at 256 simulated workers).
    expect(isTransient(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('does not retry a wrong password, a missing database or a bad statement', () => {
    expect(isTransient({ code: '28P01', message: 'password authentication failed' })).toBe(false);
    expect(isTransient({ code: '3D000', message: 'database "nope" does not exist' })).toBe(false);
    expect(isTransient({ code: '42601', message: 'syntax error at or near "x"' })).toBe(false);
  });
});
