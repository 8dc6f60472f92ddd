/**
 * Synthetic objectives for the tests, importable by worker threads and by a
 * child process. Their values depend only on the config, never on timing.
 */
import { appendFileSync } from 'node:fs';
import type { Reporter } from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Curves valLoss(e) = a + b / e, chosen so ASHA's decisions can be worked out by hand. */
export const CURVES: [number, number][] = [
  [1, 4],
  [2, 1],
  [0, 8],
  [0.5, 2],
  [2.4, 0.4],
  [0, 1],
];

/**
 * Trial `config.curve` follows CURVES[curve] for 8 epochs. Early trials sleep
 * longer, so in parallel a later trial reaches each rung first and must wait.
 */
export async function knownCurves(config: { curve: number }, reporter: Reporter): Promise<void> {
  const [a, b] = CURVES[config.curve];
  for (let e = 1; e <= 8; e++) {
    await sleep(Number(process.env.TUNE_TEST_CURVE_SLEEP ?? 0) * (CURVES.length - config.curve));
    if (await reporter.report(e, { valLoss: a + b / e })) return;
  }
}

/**
 * A bowl in (log10 lr, x): best at lr = 1e-2, x = 0.3; the loss falls as
 * 1/epoch towards it. Sleeps TUNE_TEST_SLEEP_MS per epoch and appends the
 * trial id to TUNE_TEST_COUNTER (if set) when it starts.
 *
 * With TUNE_TEST_HANG=1, the first trial told to go on after an epoch prints
 * `hanging <trial id>` and never returns: a kill test then knows for certain
 * that its victim is inside a trial with a stored epoch, however loaded the
 * machine (polling the database for that state raced the trial's end).
 */
export async function bowl(
  config: { lr: number; x?: number; opt?: string; momentum?: number },
  reporter: Reporter,
): Promise<void> {
  const counter = process.env.TUNE_TEST_COUNTER;
  if (counter) appendFileSync(counter, `${reporter.trialId}\n`);
  const ms = Number(process.env.TUNE_TEST_SLEEP_MS ?? 0);
  const base =
    (Math.log10(config.lr) + 2) ** 2 +
    ((config.x ?? 0.3) - 0.3) ** 2 +
    (config.momentum ?? 0) * 0.1;
  for (let e = 1; e <= 4; e++) {
    if (ms > 0) await sleep(ms);
    const valLoss = base + 1 / e + (reporter.seed % 1000) * 1e-6;
    if (await reporter.report(e, { valLoss, valAccuracy: 1 / (1 + valLoss) })) return;
    if (process.env.TUNE_TEST_HANG === '1') {
      console.log(`hanging ${reporter.trialId}`);
      for (;;) await sleep(60_000);
    }
  }
}

/** Ends its worker thread abruptly on k = 1 (process.exit in a worker ends only that thread). */
export async function crashOnOne(config: { k: number }, reporter: Reporter): Promise<void> {
  if (config.k === 1) process.exit(3);
  await reporter.report(1, { valLoss: config.k });
}

/**
 * Reports valLoss = the thread count helpers/fake-backend.ts was given, or
 * -2 when that module was never imported in this thread.
 */
export async function backendSeen(_config: { k: number }, reporter: Reporter): Promise<void> {
  const seen = (globalThis as { __tuneFakeBackend?: { threads: number } }).__tuneFakeBackend;
  await reporter.report(1, { valLoss: seen ? seen.threads : -2 });
}

/** Returns k times the fixed `scale` of its arguments (ObjectiveRef.args), as the objective. */
export function scaledByArgs(
  config: { k: number },
  _reporter: unknown,
  args: { scale: number } | undefined,
): number {
  if (args === undefined) throw new Error('no args');
  return config.k * args.scale;
}
