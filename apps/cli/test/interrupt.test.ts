/**
 * Ctrl-C in a real child process: `nerve train` stops after the current
 * batch, exits 130 with a message and writes nothing to --out (no temporary
 * file either); `nerve tune` exits 130, keeps the finished trials in a study
 * file that still loads, and removes its lock. A second `nerve tune` on a
 * study file in use is refused, naming the first one's pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readStudyFile } from '@nerve/tune';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { capture } from './helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const mainTs = join(root, 'apps', 'cli', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'nerve-sigint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Starts `nerve <argv>`; once stdout matches `when`, awaits `meanwhile`
 * (given the child's pid) and sends SIGINT. Resolves to how it ended.
 */
function interruptWhen(
  argv: string[],
  when: RegExp,
  meanwhile: (pid: number) => Promise<void> = async () => {},
) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@nerve/source', mainTs, ...argv],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout?.on('data', (d) => {
    stdout += d;
    if (!sent && when.test(stdout)) {
      sent = true;
      meanwhile(child.pid as number).finally(() => child.kill('SIGINT'));
    }
  });
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string; sent: boolean }>(
    (resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, sent })),
  );
}

describe('Ctrl-C', () => {
  it('nerve train: exit 130 after the current batch, a message, nothing written to --out', async () => {
    const out = join(dir, 'model.safetensors');
    const r = await interruptWhen(['train', '--epochs', '40', '--out', out], /epoch +1\/40/);
    expect(r.sent, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/stopping after the current batch/);
    expect(r.stderr).toMatch(
      new RegExp(`nerve: interrupted in epoch \\d+ of 40; nothing written to ${out}`),
    );
    expect(r.stdout).not.toMatch(/test accuracy|saved/);
    // No checkpoint and no temporary file: the folder is empty.
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('model'))).toEqual([]);
  }, 120_000);

  it('nerve tune: a second run on the study is refused naming the first; Ctrl-C exits 130, keeps the trials, removes the lock', async () => {
    const study = join(dir, 'study.jsonl');
    const argv = ['tune', '--trials', '40', '--epochs', '1', '--study', study];
    let second = { code: -1, err: '', pid: 0 };
    const r = await interruptWhen(argv, /trial +0 /, async (pid) => {
      const c = capture();
      second = { code: await main(argv, c.io), err: c.err(), pid };
    });
    expect(second.err).toMatch(new RegExp(`in use by process ${second.pid} on `));
    // The second run was refused before running anything: exit 1, one line.
    expect(second.code, second.err).toBe(1);
    expect(second.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.sent, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(`nerve: interrupted; finished trials are kept in ${study}`);
    const trials = readStudyFile(study).trials;
    // Each trial once (two runs on one file used to write every id twice).
    expect(new Set(trials.map((t) => t.id)).size).toBe(trials.length);
    expect(trials.length).toBeGreaterThanOrEqual(1);
    expect(trials.length).toBeLessThan(40);
    expect(existsSync(`${study}.lock`)).toBe(false);
  }, 120_000);
});
