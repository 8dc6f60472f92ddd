import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { nerveLines, startNerve, waitFor } from './spawn-nerve.js';

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
    const gpuThreads = await runCli(['tune', '--backend', 'webgpu', '--workers', '2']);
    expect(gpuThreads.code).toBe(2);
    expect(gpuThreads.err()).toMatch(/--workers: --backend webgpu runs one trial at a time/);
    const notHtml = await runCli([
      'tune',
      'show',
      '--storage',
      file,
      '--study',
      's',
      '--report',
      join(dir, 'r.txt'),
    ]);
    expect(notHtml.code).toBe(2);
    expect(notHtml.err()).toMatch(/--report: expected a path ending in .html/);
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

/** The events of a shared JSON-lines study file (a line cut short at the end is skipped). */
function events(file: string): { type: string; id?: number; worker?: string; epoch?: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

describe('Ctrl-C in a shared study', () => {
  it('SIGINT and SIGTERM give the running trial back at once, exit 130 and 143 with one line; the study then ends as a serial run', async () => {
    const file = join(dir, 'ctrl-c.jsonl');
    const flags = ['--trials', '2', '--epochs', '10', '--json'];
    // The default heartbeat grace: a trial that is not given back waits this long in `running`.
    const graceMs = 30_000;
    const interruptMidTrial = async (signal: 'SIGINT' | 'SIGTERM') => {
      const w = startNerve(['tune', '--storage', file, '--study', 'c', ...flags]);
      const me = `:${w.child.pid}:cpu`;
      // Inside a trial: this process has stored an epoch of it and not finished it.
      let held = -1;
      await waitFor(
        () => {
          const mine = events(file).filter((e) => e.worker?.endsWith(me));
          const reported = mine.filter((e) => e.type === 'report').map((e) => e.id as number);
          const finished = new Set(mine.filter((e) => e.type === 'trial').map((e) => e.id));
          held = reported.find((id) => !finished.has(id)) ?? -1;
          return held >= 0;
        },
        'an epoch stored',
        w,
      );
      const sent = performance.now();
      w.child.kill(signal);
      const end = await w.exited;
      const lines = nerveLines(w.err());
      expect(end.code, w.err()).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(lines, w.err()).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^nerve: interrupted \\(${signal}\\); trial ${held} went back to the queue for another process`,
        ),
      );
      // Given back by this process, not re-queued by another after the grace period.
      expect(end.at - sent).toBeLessThan(graceMs);
      expect(
        events(file).some((e) => e.type === 'release' && e.id === held && e.worker?.endsWith(me)),
      ).toBe(true);
      const shown = await runCli(['tune', 'show', '--storage', file, '--study', 'c', '--json']);
      const t = JSON.parse(shown.out()).trials[held];
      expect(t.state).toBe('queued');
      expect(t.worker).toBeNull();
      console.log(
        `tune Ctrl-C test: ${signal} to exit ${Math.round(end.at - sent)} ms (trial ${held} given back)`,
      );
      return held;
    };
    await interruptMidTrial('SIGINT');
    const held = await interruptMidTrial('SIGTERM');
    // The report shows the given-back trial's stored epochs as an interrupted curve.
    const html = join(dir, 'ctrl-c.html');
    const shown = await runCli([
      'tune',
      'show',
      '--storage',
      file,
      '--study',
      'c',
      '--report',
      html,
    ]);
    expect(shown.code, shown.err()).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain(`trial ${held} queued (interrupted)`);
    expect(page).toContain('<svg');
    // A third process finishes the study: the given-back trials run again from their first
    // epoch, so the study equals one process alone.
    const rest = startNerve(['tune', '--storage', file, '--study', 'c', ...flags]);
    const end = await rest.exited;
    expect(end.code, rest.err()).toBe(0);
    const summary = lines(rest.out()).pop();
    const alone = await runCli(['tune', ...flags]);
    expect(alone.code, alone.err()).toBe(0);
    expect(withoutSeconds(summary.trials)).toEqual(withoutSeconds(alone.last().trials));
  }, 600_000);
});

// Whether a WebGPU adapter exists here (lavapipe in CI); the backend package says.
const { probe } = await import('@nerve/backend-webgpu');
const gpu = await probe();
if (!gpu) console.warn('apps/cli: tune --backend webgpu test skipped: no WebGPU adapter here');

describe.runIf(gpu)('a cpu worker and a webgpu worker on one study', () => {
  it('both take trials, each trial records its backend, and the results equal a serial cpu run to float32 rounding', async () => {
    const file = join(dir, 'backends.jsonl');
    const flags = ['--trials', '4', '--epochs', '3', '--json'];
    const args = (backend: string) => [
      'tune',
      '--storage',
      file,
      '--study',
      'b',
      ...flags,
      '--backend',
      backend,
    ];
    // The webgpu process starts first and the cpu one once it has claimed a trial, so both
    // take trials however slowly the adapter starts.
    const gpuWorker = startNerve(args('webgpu'));
    await waitFor(() => /trial +\d+ started on webgpu/.test(gpuWorker.err()), 'a trial', gpuWorker);
    const cpuWorker = startNerve(args('cpu'));
    const [g, c] = await Promise.all([gpuWorker.exited, cpuWorker.exited]);
    expect(g.code, gpuWorker.err()).toBe(0);
    expect(c.code, cpuWorker.err()).toBe(0);
    const ran = (out: string) =>
      lines(out)
        .filter((e) => e.event === 'trial')
        .map((e) => e.id as number);
    const [byGpu, byCpu] = [ran(gpuWorker.out()), ran(cpuWorker.out())];
    expect(byGpu.length).toBeGreaterThan(0);
    expect(byCpu.length).toBeGreaterThan(0);
    expect([...byGpu, ...byCpu].sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
    // The storage says which backend ran each trial (the worker's name ends with it).
    const shown = await runCli(['tune', 'show', '--storage', file, '--study', 'b', '--json']);
    for (const t of JSON.parse(shown.out()).trials) {
      expect(t.worker).toMatch(byGpu.includes(t.id) ? /:webgpu$/ : /:cpu$/);
    }
    const shared = lines(gpuWorker.out()).pop().trials;
    const alone = await runCli(['tune', ...flags]);
    expect(alone.code, alone.err()).toBe(0);
    const serial = alone.last().trials;
    expect(shared.map((t: { config: object }) => t.config)).toEqual(
      serial.map((t: { config: object }) => t.config),
    );
    // Same seeds, data and initial weights: a webgpu trial differs from the cpu one only by
    // float32 rounding in another summation order. Measured here: at most 2e-7 relative
    // (2 ulp) after 3 epochs; 1e-5 allows 80 ulp of drift, while a wrong parameter, seed or
    // data set moves the loss by percent.
    for (const [i, t] of shared.entries()) {
      const r = serial[i];
      expect(t.status).toBe(r.status);
      expect(t.history.length).toBe(r.history.length);
      for (const [e, h] of t.history.entries()) {
        const want = r.history[e].metrics.valLoss;
        expect(Math.abs(h.metrics.valLoss - want), `trial ${i} epoch ${e + 1}`).toBeLessThan(
          1e-5 * want,
        );
      }
      if (byCpu.includes(t.id)) expect(withoutSeconds([t])).toEqual(withoutSeconds([r]));
    }
  }, 600_000);
});
