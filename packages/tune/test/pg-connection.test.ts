import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTransient } from '../src/pg-connection.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const source = pathToFileURL(
  fileURLToPath(new URL('../src/pg-connection.ts', import.meta.url)),
).href;

/** What a fresh process has loaded after importing pg through importPg (or plainly). */
function importInChild(how: 'importPg' | 'plain'): {
  undici: boolean;
  navigator: string;
  client: string;
} {
  const script = `
    const pg = ${how === 'importPg' ? `await (await import(${JSON.stringify(source)})).importPg()` : `(await import('pg')).default`};
    console.log(JSON.stringify({
      undici: process.moduleLoadList.some((m) => m.includes('undici')),
      navigator: typeof globalThis.navigator,
      client: typeof pg.Client,
    }));`;
  const r = spawnSync(
    process.execPath,
    ['--import', tsx, '--conditions=@nerve/source', '--input-type=module', '-e', script],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('importPg', () => {
  // Node 21 and later have a navigator of their own, so the probe never touches Response there.
  it.runIf(typeof (globalThis as { navigator?: unknown }).navigator === 'undefined')(
    "answers pg's Cloudflare probe without loading Node's fetch (undici), and leaves no navigator behind",
    () => {
      // The control: a plain import of pg loads undici through the probe's \`new Response\`.
      expect(importInChild('plain').undici).toBe(true);
      expect(importInChild('importPg')).toEqual({
        undici: false,
        navigator: 'undefined',
        client: 'function',
      });
    },
  );
});

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
