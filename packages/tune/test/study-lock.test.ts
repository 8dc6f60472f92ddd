/**
 * One process per study file: a second process (or a second open in this
 * one) is refused with the holder named, nothing in the file changes, a
 * stale lock from a killed process is taken over, and the lock goes away on
 * close, on error and on process.exit.
 */
import '@nerve/backend-cpu';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readStudyFile, runStudy } from '../src/index.js';
import { RESUME_TRIALS, studyOptions } from './helpers/resume-study.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dir = mkdtempSync(join(tmpdir(), 'nerve-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that surely belongs to no process: one that has just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

function child(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', tsx, '--conditions=@nerve/source', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    c.on('exit', (code, signal) => r({ code, signal })),
  );

describe('study file lock', () => {
  it('refuses a second open in the same process until the first is closed', async () => {
    const file = join(dir, 'same-process.jsonl');
    const slow = { ...studyOptions(), storage: file };
    // The second study starts while the first one holds the file.
    const first = runStudy(slow);
    await expect(runStudy(slow)).rejects.toThrow(/already open in this process/);
    await first;
    expect(existsSync(`${file}.lock`)).toBe(false);
    const again = await runStudy(slow);
    expect(again.resumed).toBe(RESUME_TRIALS);
  });

  it('refuses a second process, naming its pid, and leaves the file intact; a SIGKILLed holder leaves a stale lock that is taken over', async () => {
    const file = join(dir, 'two-processes.jsonl');
    const script = fileURLToPath(new URL('./helpers/run-study-child.ts', import.meta.url));
    const holder = child([script, file], { TUNE_TEST_SLEEP_MS: '100' });
    const done = exited(holder);
    let output = '';
    holder.stdout?.on('data', (d) => (output += d));
    holder.stderr?.on('data', (d) => (output += d));
    const deadline = Date.now() + 40_000;
    while (!existsSync(file) || readStudyFile(file).trials.length < 1) {
      if (Date.now() > deadline) throw new Error(`the child stalled: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({
      pid: holder.pid,
      hostname: hostname(),
    });
    await expect(runStudy({ ...studyOptions(), storage: file })).rejects.toThrow(
      new RegExp(`in use by process ${holder.pid} on ${hostname()}`),
    );
    holder.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    // The killed holder's lock is still there, naming a dead pid: stale.
    expect(existsSync(`${file}.lock`)).toBe(true);
    const written = readStudyFile(file).trials.length;
    const resumed = await runStudy({ ...studyOptions(), storage: file });
    expect(resumed.resumed).toBe(written);
    const ids = readStudyFile(file).trials.map((t) => t.id);
    expect([...ids].sort((a, b) => a - b)).toEqual([...Array(RESUME_TRIALS).keys()]);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);

  it('takes over a lock whose pid is dead on this host, and refuses one from another host', async () => {
    const file = join(dir, 'stale.jsonl');
    const lock = `${file}.lock`;
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), hostname: hostname(), started: 'x' }));
    const r = await runStudy({ ...studyOptions(), storage: file });
    expect(r.trials).toHaveLength(RESUME_TRIALS);
    expect(existsSync(lock)).toBe(false);
    // On another host the pid cannot be checked: the lock is respected.
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), hostname: 'elsewhere', started: 'x' }));
    await expect(runStudy({ ...studyOptions(), storage: file })).rejects.toThrow(
      /in use by process \d+ on elsewhere .*delete .*stale\.jsonl\.lock/,
    );
    rmSync(lock);
  });

  it('names the missing folder of a study file, and creates nothing', async () => {
    const missing = join(dir, 'no-such-folder');
    const file = join(missing, 'study.jsonl');
    await expect(runStudy({ ...studyOptions(), storage: file })).rejects.toThrow(
      `expected a study file in an existing folder, received '${file}': its folder ${missing} does not exist`,
    );
    expect(existsSync(missing)).toBe(false);
  });

  it('releases the lock when the study ends with an error', async () => {
    const file = join(dir, 'error.jsonl');
    const onTrialEnd = () => {
      throw new Error('callback failed');
    };
    await expect(runStudy({ ...studyOptions(), onTrialEnd, storage: file })).rejects.toThrow(
      /callback failed/,
    );
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('releases the lock when the process exits without closing the file', async () => {
    const file = join(dir, 'exit.jsonl');
    const lockModule = pathToFileURL(join(root, 'packages/tune/src/study-lock.ts')).href;
    const code = `const { acquireStudyLock } = await import(${JSON.stringify(lockModule)});
      acquireStudyLock(${JSON.stringify(file)});
      console.log('locked');
      process.exit(3);`;
    const c = child(['--input-type=module', '-e', code]);
    let out = '';
    c.stdout?.on('data', (d) => (out += d));
    c.stderr?.on('data', (d) => (out += d));
    expect((await exited(c)).code, out).toBe(3);
    expect(out).toMatch(/locked/);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
