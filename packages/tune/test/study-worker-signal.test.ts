/**
 * runStudyWorker's `signal` (Ctrl-C in `nerve tune --storage`): the running
 * trial goes back to the queue at once, with its stored epochs, and the
 * study then ends as a serial run. The CLI's tests send real signals to
 * real processes (apps/cli/test/tune-shared.test.ts); this is the function.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JsonlStudyStorage,
  type Reporter,
  StudyWorkerInterrupted,
  type TrialRecord,
  runStudy,
  runStudyWorker,
  studyDefinition,
} from '../src/index.js';
import { bowl } from './helpers/curves.js';
import { sharedStudyOptions, sharedWorkerOptions } from './helpers/shared-study.js';

const comparable = (trials: TrialRecord[]) => trials.map(({ seconds, ...t }) => t);
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nerve-signal-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runStudyWorker with a signal', () => {
  it('gives the running trial back at once when aborted; another worker then finishes the study as a serial run', async () => {
    const n = 4;
    const file = join(dir, 'abort.jsonl');
    const abort = new AbortController();
    // Trial 0's objective aborts the worker right after its second epoch is stored.
    const objective = async (c: never, r: Reporter) =>
      bowl(c, {
        ...r,
        report: async (e, m) => {
          const stop = await r.report(e, m);
          if (r.trialId === 0 && e === 2) abort.abort();
          return stop;
        },
      });
    const first = runStudyWorker({
      ...sharedWorkerOptions(n, file, 'abort'),
      objective: objective as never,
      signal: abort.signal,
      workerId: 'a',
    });
    const e = await first.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StudyWorkerInterrupted);
    expect((e as StudyWorkerInterrupted).released).toBe(0);
    const storage = new JsonlStudyStorage(file);
    await storage.openStudy(studyDefinition(sharedWorkerOptions(n, file, 'abort')));
    const [t0] = await storage.trials();
    // Queued again at once (no heartbeat grace waited), its two stored epochs kept.
    expect(t0.state).toBe('queued');
    expect(t0.intermediate.map((v) => v.epoch)).toEqual([1, 2]);
    await storage.close();

    const rest = await runStudyWorker({
      ...sharedWorkerOptions(n, file, 'abort'),
      workerId: 'b',
      readTrials: true,
    });
    expect(rest.ran).toEqual([0, 1, 2, 3]);
    const reference = await runStudy(sharedStudyOptions(n));
    expect(comparable((rest.trials ?? []).map((t) => t.record as TrialRecord))).toEqual(
      comparable(reference.trials),
    );
  });

  it('claims nothing when the signal has already aborted', async () => {
    const file = join(dir, 'early.jsonl');
    const e = await runStudyWorker({
      ...sharedWorkerOptions(2, file, 'early'),
      signal: AbortSignal.abort(),
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StudyWorkerInterrupted);
    expect((e as StudyWorkerInterrupted).released).toBeNull();
  });
});
