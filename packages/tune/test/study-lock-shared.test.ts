/**
 * The per-operation lock of a shared study file (withStudyLock): re-entrant
 * within an operation, released after it (also when it throws), a dead
 * holder's lock taken over, and a live holder waited for, then named.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withStudyLock } from '../src/study-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-oplock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('withStudyLock', () => {
  it('is re-entrant within an operation and released after it, also after an error', () => {
    const file = join(dir, 'a.jsonl');
    const depth = withStudyLock(file, () => {
      expect(existsSync(`${file}.lock`)).toBe(true);
      return withStudyLock(file, () => 2);
    });
    expect(depth).toBe(2);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(() =>
      withStudyLock(file, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('takes over the lock of a process that died holding it', () => {
    const file = join(dir, 'b.jsonl');
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      }).stdout,
    );
    writeFileSync(
      `${file}.lock`,
      JSON.stringify({ pid: dead, hostname: hostname(), started: new Date().toISOString() }),
    );
    expect(withStudyLock(file, () => 'ran')).toBe('ran');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('waits for a live holder and names it when the wait runs out', async () => {
    const file = join(dir, 'c.jsonl');
    // A live process (a sleeping child) holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(
        `${file}.lock`,
        JSON.stringify({ pid: holder.pid, hostname: hostname(), started: 'then' }),
      );
      const t0 = performance.now();
      expect(() => withStudyLock(file, () => 'never', 300)).toThrow(
        new RegExp(`in use by process ${holder.pid} on `),
      );
      // It waited (the timeout), rather than failing at once.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
