/**
 * One nerve worker process of the side-by-side benchmark (run.ts):
 *
 *   node nerve-worker.mjs URL STUDY TRIALS HEARTBEAT_S
 *
 * The same path `nerve tune --storage URL --study NAME` takes
 * (runStudyWorker), with a trivial objective: one parameter, one report.
 * run.ts bundles this file with esbuild first (what a user's worker script
 * importing the built @nerve/tune is), since starting TypeScript sources
 * through a loader costs more than the whole study. Prints one JSON line:
 * the ids of the trials this process ran and recorded, and the
 * milliseconds spent in runStudyWorker (connecting and opening the study included).
 *
 * Heartbeats are always on in nerve (a timer; a trial shorter than the
 * interval never sends one). HEARTBEAT_S > 0 sets the interval and a grace
 * period of twice that, as the Optuna side gets; 0 keeps the defaults (5 s,
 * grace 30 s).
 *
 * NERVE_BENCH_READ_TRIALS=1 makes the worker read every trial at the end
 * (readTrials: true, as `nerve tune` does for its table), the default before
 * workers read only the best trial: the before/after of that change.
 */
import { type Reporter, randomSearch, runStudyWorker, space, uniform } from '@nerve/tune';

const [url, study, trials, heartbeat] = process.argv.slice(2);
const beatS = Number(heartbeat ?? 0);
const t0 = performance.now();
const r = await runStudyWorker({
  storage: url,
  study,
  space: space({ x: uniform(0, 1) }),
  searcher: randomSearch({ trials: Number(trials) }),
  seed: 1,
  objective: async (c: { x: number }, reporter: Reporter) => {
    await reporter.report(1, { valLoss: c.x });
    return c.x;
  },
  readTrials: process.env.NERVE_BENCH_READ_TRIALS === '1',
  ...(beatS > 0 ? { heartbeatMs: beatS * 1000, graceMs: 2 * beatS * 1000 } : {}),
});
console.log(JSON.stringify({ ran: r.ran, studyMs: performance.now() - t0 }));
