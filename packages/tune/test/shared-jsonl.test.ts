import '@nerve/backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JsonlStudyStorage,
  type TrialRecord,
  readStudyFile,
  runStudy,
  runStudyWorker,
  logUniform,
  showStudy,
  space,
  studyDefinition,
} from '../src/index.js';
import { sharedStudyOptions, sharedWorkerOptions } from './helpers/shared-study.js';
import { type WorkerProcess, ranIds, spawnWorker } from './helpers/spawn-worker.js';

const comparable = (trials: TrialRecord[]) => trials.map(({ seconds, ...t }) => t);
const started = (counter: string) =>
  existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).map(Number) : [];
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nerve-shared-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Waits until every worker printed 'ready', then lets them all start. */
async function startTogether(ws: WorkerProcess[], go: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ws.every((w) => w.output().includes('ready'))) {
    if (Date.now() > deadline) throw new Error(ws.map((w) => w.output()).join('\n---\n'));
    await new Promise((r) => setTimeout(r, 20));
  }
  writeFileSync(go, '');
}

describe('a JSON-lines study file shared by processes', () => {
  it('two processes run every trial exactly once, with the results of a serial run', async () => {
    const n = 16;
    const reference = await runStudy(sharedStudyOptions(n));
    // The study must exercise ASHA across processes, or equality would prove little.
    expect(reference.trials.filter((t) => t.status === 'pruned').length).toBeGreaterThan(0);
    const file = join(dir, 'two.jsonl');
    const counter = join(dir, 'two.counter');
    const go = join(dir, 'two.go');
    const env = { TUNE_TEST_SLEEP_MS: '25', TUNE_TEST_COUNTER: counter, TUNE_TEST_GO: go };
    const ws = [spawnWorker(file, 'bowl', n, env), spawnWorker(file, 'bowl', n, env)];
    await startTogether(ws, go);
    const ends = await Promise.all(ws.map((w) => w.exited));
    for (const [i, e] of ends.entries()) expect(e.code, ws[i].output()).toBe(0);
    const ran = ws.map(ranIds);
    // Both took part, and between them every trial was recorded once.
    expect(ran[0].length).toBeGreaterThan(0);
    expect(ran[1].length).toBeGreaterThan(0);
    expect([...ran[0], ...ran[1]].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    // Each objective started once: no trial ran twice.
    expect(started(counter).sort((a, b) => a - b)).toEqual([...Array(n).keys()]);

    const storage = new JsonlStudyStorage(file);
    await storage.openStudy(studyDefinition(sharedWorkerOptions(n, file, 'bowl')));
    const stored = await storage.trials();
    await storage.close();
    expect(stored.map((t) => t.state)).toEqual(
      reference.trials.map((t) =>
        t.status === 'pruned' ? 'pruned' : t.status === 'failed' ? 'failed' : 'complete',
      ),
    );
    expect(comparable(stored.map((t) => t.record as TrialRecord))).toEqual(
      comparable(reference.trials),
    );
    // Every epoch's value was stored, pruned trials' included.
    for (const [i, t] of stored.entries()) {
      expect(t.intermediate).toEqual(
        reference.trials[i].history.map((h) => ({ epoch: h.epoch, value: h.metrics.valLoss })),
      );
    }
    // runStudy still reads the shared file: its finished trials, once each.
    expect(
      readStudyFile(file)
        .trials.map((t) => t.id)
        .sort((a, b) => a - b),
    ).toEqual([...Array(n).keys()]);
  }, 120_000);

  it('shows a study from its file alone: queued, running and finished trials with their parameters', async () => {
    const file = join(dir, 'show.jsonl');
    const def = studyDefinition(sharedWorkerOptions(3, file, 'bowl'));
    const storage = new JsonlStudyStorage(file);
    await storage.openStudy(def);
    const first = await storage.claim('w');
    expect(first?.id).toBe(0);
    await storage.report(0, 'w', 1, { valLoss: 2.5 });
    const shown = await showStudy(file, 'bowl');
    await storage.close();
    expect(shown.header).toEqual(def.header);
    expect(shown.trials.map((t) => t.state)).toEqual(['running', 'queued', 'queued']);
    expect(shown.trials.map((t) => t.params)).toEqual([0, 1, 2].map(def.params));
    expect(shown.trials[0].intermediate).toEqual([{ epoch: 1, value: 2.5 }]);
    await expect(showStudy(join(dir, 'none.jsonl'), 'bowl')).rejects.toThrow(
      /no study 'bowl' in .*none\.jsonl/,
    );
  });

  it('refuses to join a study with a different space, seed or pruners, naming the difference', async () => {
    const file = join(dir, 'refuse.jsonl');
    await runStudyWorker({ ...sharedWorkerOptions(2, file, 'bowl') });
    await expect(
      runStudyWorker({ ...sharedWorkerOptions(2, file, 'bowl'), seed: 6 }),
    ).rejects.toThrow(/different seed \(file: 5; this study: 6\)/);
    await expect(
      runStudyWorker({ ...sharedWorkerOptions(2, file, 'bowl'), pruners: [] }),
    ).rejects.toThrow(/different pruners/);
    const before = readFileSync(file, 'utf8');
    await expect(
      runStudyWorker({
        ...sharedWorkerOptions(2, file, 'bowl'),
        space: space({ lr: logUniform(1e-5, 1) }),
      }),
    ).rejects.toThrow(/different search space/);
    await expect(
      runStudyWorker({ ...sharedWorkerOptions(2, file, 'bowl'), metric: 'valAccuracy' }),
    ).rejects.toThrow(/different metric/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
