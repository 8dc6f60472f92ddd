import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nerve-cli-shared-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `nerve …` in a child process: exit code and stdout. */
function nerve(argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', tsx, '--conditions=@nerve/source', main, ...argv],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

const lines = (out: string) =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const withoutSeconds = (trials: { seconds: number }[]) => trials.map(({ seconds, ...t }) => t);

describe('nerve tune --storage FILE --study NAME', () => {
  it('two processes share a study: each trial once, the same summary as one process alone', async () => {
    const file = join(dir, 'shared.jsonl');
    const flags = ['--trials', '4', '--epochs', '2', '--halving', '--json'];
    const [a, b] = await Promise.all([
      nerve(['tune', '--storage', file, '--study', 'digits', ...flags]),
      nerve(['tune', '--storage', file, '--study', 'digits', ...flags]),
    ]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const [la, lb] = [lines(a.out), lines(b.out)];
    const ran = [...la, ...lb].filter((e) => e.event === 'trial').map((e) => e.id);
    expect(ran.sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
    const [sa, sb] = [la[la.length - 1], lb[lb.length - 1]];
    expect(withoutSeconds(sa.trials)).toEqual(withoutSeconds(sb.trials));
    // One process without any storage runs the same trials to the same results.
    const alone = await runCli(['tune', ...flags]);
    expect(alone.code, alone.err()).toBe(0);
    expect(withoutSeconds(sa.trials)).toEqual(withoutSeconds(alone.last().trials));
    expect(sa.best.id).toBe(alone.last().best.id);

    const shown = await runCli(['tune', 'show', '--storage', file, '--study', 'digits', '--json']);
    expect(shown.code, shown.err()).toBe(0);
    const s = JSON.parse(shown.out());
    expect(s.trials.map((t: { id: number }) => t.id)).toEqual([0, 1, 2, 3]);
    expect(s.trials.map((t: { params: object }) => t.params)).toEqual(
      sa.trials.map((t: { config: object }) => t.config),
    );
    for (const t of s.trials) expect(['complete', 'pruned']).toContain(t.state);
    const text = await runCli(['tune', 'show', '--storage', file, '--study', 'digits']);
    expect(text.out()).toMatch(/^study 'digits' in .*shared\.jsonl: 4 trials/);
  }, 240_000);

  it('refuses flags a shared study cannot take, and a different space', async () => {
    const file = join(dir, 'flags.jsonl');
    const noName = await runCli(['tune', '--storage', file]);
    expect(noName.code).toBe(2);
    expect(noName.err()).toMatch(/--study: with --storage, expected the study's name/);
    const workers = await runCli(['tune', '--storage', file, '--study', 's', '--workers', '2']);
    expect(workers.code).toBe(2);
    expect(workers.err()).toMatch(/--workers: with --storage each process runs one trial/);
    const c2f = await runCli([
      'tune',
      '--storage',
      file,
      '--study',
      's',
      '--search',
      'coarse-to-fine',
    ]);
    expect(c2f.code).toBe(2);
    const first = await runCli([
      'tune',
      '--storage',
      file,
      '--study',
      's',
      '--trials',
      '1',
      '--epochs',
      '1',
    ]);
    expect(first.code, first.err()).toBe(0);
    const other = await runCli([
      'tune',
      '--storage',
      file,
      '--study',
      's',
      '--trials',
      '1',
      '--epochs',
      '2',
    ]);
    expect(other.code).toBe(1);
    expect(other.err()).toMatch(/refusing to join the study in .*different search space/);
    const missing = await runCli([
      'tune',
      'show',
      '--storage',
      join(dir, 'none.jsonl'),
      '--study',
      's',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err()).toMatch(/no study 's' in/);
  }, 120_000);
});
