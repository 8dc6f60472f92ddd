/**
 * runStudyWorker: one process's share of a study kept in a StudyStorage.
 * Start the same call in as many processes (on as many machines) as you
 * like: each claims the next queued trial, runs it with a heartbeat, stores
 * every epoch's value, asks the storage for ASHA's rung decisions, records
 * the result, and stops when every trial of the study has finished.
 *
 * A worker that waits at a rung for a trial of smaller id that nobody runs
 * (its worker died and it went back to the queue) gives its own trial back
 * and takes the smaller one: trial ids only decrease along such a chain, so
 * the study cannot deadlock however many workers die. The given-back trial
 * runs again from its first epoch, with the same parameters and seed.
 */
import { hostname } from 'node:os';
import { NerveError, manualSeed } from '@nerve/core/base';
import type { ObjectiveRef } from './pool.js';
import {
  type AshaPruner,
  type Decision,
  type PatiencePruner,
  type Pruner,
  checkPruners,
  divergedDecision,
  patienceDecision,
  rungsBetween,
} from './pruning.js';
import { bestTrial } from './ranking.js';
import { type GridSearch, type RandomSearch, searcherFingerprint } from './searchers.js';
import { type Config, type ConfigOf, Space, trialSeed } from './space.js';
import type { StudyHeader } from './study-file.js';
import { openStudyStorage } from './open-storage.js';
import type {
  ClaimedTrial,
  StoredTrial,
  StudyDefinition,
  StudyStorage,
  TrialResult,
} from './storage.js';
import { finishTrial, loadObjective } from './study.js';
import {
  type EpochReport,
  type Objective,
  type Reporter,
  type TrialRecord,
  TrialRun,
  normalizeTrial,
} from './trial.js';

/** Options of runStudyWorker. */
export interface StudyWorkerOptions<S extends Space = Space> {
  /** A PostgreSQL URL (postgresql://…), a JSON-lines file path, or an open storage. */
  storage: string | StudyStorage;
  /** The study's name. */
  study: string;
  /** The search space. */
  space: S;
  /** The objective: a function, or a module export this process imports. */
  objective: Objective<ConfigOf<S>> | ObjectiveRef;
  /** Random or grid search (coarse-to-fine needs a stage's results before the next: not shared yet). */
  searcher: RandomSearch | GridSearch;
  /** Seed of every configuration and trial seed (default 0). */
  seed?: number;
  /** The reported metric trials are judged by (default 'valLoss'). */
  metric?: string;
  /** 'min' or 'max' (default 'max' for metrics named like accuracy, else 'min'). */
  mode?: 'min' | 'max';
  /** Early stopping: asha(), patience(), or both. */
  pruners?: Pruner | Pruner[];
  /** This worker's name in the storage (default host:pid:random). */
  workerId?: string;
  /** How often a running trial's heartbeat is written (default 5000 ms). */
  heartbeatMs?: number;
  /** A running trial whose heartbeat is older than this goes back to the queue (default 6 × heartbeatMs). */
  graceMs?: number;
  /**
   * How often a worker waiting at a rung looks again, and the longest wait
   * of an idle one (it starts at 5 ms and doubles; with a storage that wakes
   * idle workers, PostgreSQL's, it waits this long from the start); default
   * 250 ms.
   */
  pollMs?: number;
  /**
   * Short trials are claimed several at a time and their results stored
   * together with the next claim, in one round trip (PostgreSQL): a worker
   * claims as many trials as its last one's time fits in batchMs, at most
   * 16, and stores results at the latest once they add up to batchMs.
   * Default 20 ms; 0 claims and records one trial at a time. Trials longer
   * than batchMs always go one at a time, and so do studies with ASHA
   * (a rung decision waits for the smaller trials' results) and storages
   * without recordAndClaim (the JSON-lines file).
   */
  batchMs?: number;
  /**
   * Read every trial of the finished study into the result's `trials`
   * (default false: only the best trial and the count are read, which is
   * one row; the full read is every trial with its intermediate values, by
   * every worker, at the same moment).
   */
  readTrials?: boolean;
  /** Called after each trial this worker finished and recorded. */
  onTrialEnd?: (trial: TrialRecord) => void;
  /** Called when this worker claims a trial (before it runs). */
  onTrialStart?: (trial: ClaimedTrial) => void;
  /**
   * Stops the worker (Ctrl-C): the trial it is running goes back to the queue
   * at once (not after the heartbeat grace), nothing more is claimed, and the
   * returned promise rejects with a StudyWorkerInterrupted naming that trial.
   */
  signal?: AbortSignal;
}

/** How runStudyWorker rejects when its `signal` aborts. */
export class StudyWorkerInterrupted extends Error {
  /** The error's name, for `instanceof`-free checks. */
  override name = 'StudyWorkerInterrupted';
  /** The trial given back to the queue, or null when none was running. */
  readonly released: number | null;
  /** A trial whose objective had ended when the signal came: its result was stored first. */
  readonly recorded: number | null;
  constructor(released: number | null, recorded: number | null = null) {
    super(
      released !== null
        ? `trial ${released} given back to the queue`
        : recorded !== null
          ? `trial ${recorded} had finished and was recorded`
          : 'stopped between trials; nothing was running',
    );
    this.released = released;
    this.recorded = recorded;
  }
}

/** What runStudyWorker returns once the whole study has finished. */
export interface StudyWorkerResult {
  /** Whether this worker created the study. */
  created: boolean;
  /** Ids of the trials this worker ran and recorded. */
  ran: number[];
  /** How many trials the study has (all of them finished). */
  total: number;
  /** Every trial of the study, by id, with `readTrials: true`; else null (not read). */
  trials: StoredTrial[] | null;
  /** The best finished trial of the study, or null. */
  best: TrialRecord | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown into an objective whose trial this worker no longer owns or gives back. */
class TrialLeft extends Error {}

/** The study's definition: its header (what must agree) and the parameters of each trial id. */
export function studyDefinition(opts: StudyWorkerOptions): StudyDefinition {
  const op = 'runStudyWorker';
  if (!(opts?.space instanceof Space))
    throw new NerveError(op, 'space a Space from space({...})', String(opts?.space));
  const s = opts.searcher;
  if (s?.kind !== 'random' && s?.kind !== 'grid') {
    throw new NerveError(
      op,
      'a randomSearch or gridSearch searcher (coarse-to-fine stages are not shared between workers yet)',
      String((s as { kind?: string } | null)?.kind ?? s),
    );
  }
  if (typeof opts.study !== 'string' || !/^[\w.-]{1,100}$/.test(opts.study)) {
    throw new NerveError(op, 'study a name of letters, digits, _ . -', String(opts.study));
  }
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new NerveError(op, 'seed a non-negative integer', String(seed));
  const metric = opts.metric ?? 'valLoss';
  const mode = opts.mode ?? (/acc/i.test(metric) ? 'max' : 'min');
  if (mode !== 'min' && mode !== 'max')
    throw new NerveError(op, "mode 'min' or 'max'", String(mode));
  const pruners =
    opts.pruners === undefined ? [] : Array.isArray(opts.pruners) ? opts.pruners : [opts.pruners];
  checkPruners(op, pruners);
  const sp = opts.space;
  const header: StudyHeader = {
    type: 'study',
    format: 1,
    space: sp.fingerprint(),
    seed,
    searcher: searcherFingerprint(s),
    metric,
    mode,
    pruners,
  };
  const grid = s.kind === 'grid' ? sp.grid(s.steps) : null;
  return {
    name: opts.study,
    header,
    trials: grid ? grid.length : (s as RandomSearch).trials,
    params: (id) => (grid ? grid[id] : (sp.sample(seed, id) as Config)),
  };
}

/** Runs trials of a shared study until all of them have finished (see the file comment). */
export async function runStudyWorker<S extends Space>(
  opts: StudyWorkerOptions<S>,
): Promise<StudyWorkerResult> {
  const def = studyDefinition(opts as unknown as StudyWorkerOptions);
  const { header } = def;
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  const graceMs = opts.graceMs ?? 6 * heartbeatMs;
  const pollMs = opts.pollMs ?? 250;
  const batchMs = opts.batchMs ?? 20;
  if (!(Number.isFinite(batchMs) && batchMs >= 0))
    throw new NerveError(
      'runStudyWorker',
      'batchMs a number of milliseconds >= 0',
      String(batchMs),
    );
  const worker =
    opts.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const pruners = header.pruners as Pruner[];
  const ashaRule = pruners.find((p): p is AshaPruner => p.kind === 'asha');
  const patienceRule = pruners.find((p): p is PatiencePruner => p.kind === 'patience');
  const objective: Objective =
    typeof opts.objective === 'function'
      ? (opts.objective as Objective)
      : await loadObjective(opts.objective as ObjectiveRef);
  const storage =
    typeof opts.storage === 'string' ? await openStudyStorage(opts.storage) : opts.storage;
  const ran: number[] = [];
  // Ctrl-C (opts.signal): the trial being run goes back to the queue at once, and so do the
  // trials claimed ahead of it; results of trials that ended are stored first.
  let stopped = false;
  // The trial running now. `stop` ends it (its objective throws at its next report); `flush`
  // stores the reports held back for the result (see holdBack).
  let current: { id: number; stop: () => void; flush: () => Promise<void> } | null = null;
  // Trials claimed and not started yet (a claim takes several when trials are short), and
  // results of trials that ended here and are not stored yet (stored with the next claim).
  const queue: ClaimedTrial[] = [];
  let pending: TrialResult[] = [];
  // The storage call that records `pending` and claims, while it is in flight.
  let storing: Promise<number | null> | null = null;
  let rejectInterrupted: (e: unknown) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    rejectInterrupted = reject;
  });
  // Nobody awaits `interrupted` when the study ends first: never an unhandled rejection.
  interrupted.catch(() => {});

  // Records what is pending and claims up to `limit` trials into the queue, in one call where the
  // storage can (recordAndClaim); resolves to the last result stored, or null.
  const store = (limit: number): Promise<number | null> => {
    const results = pending;
    pending = [];
    const call = (async () => {
      let recorded: number[];
      let next: ClaimedTrial[];
      if (storage.recordAndClaim) {
        ({ recorded, next } = await storage.recordAndClaim(worker, results, limit));
      } else {
        recorded = [];
        for (const r of results)
          if (await storage.finish(r.id, worker, r.record)) recorded.push(r.id);
        next = [];
        for (let i = 0; i < limit; i++) {
          const c = await storage.claim(worker);
          if (!c) break;
          next.push(c);
        }
      }
      queue.push(...next);
      let last: number | null = null;
      for (const r of results) {
        if (!recorded.includes(r.id)) continue;
        ran.push(r.id);
        last = r.id;
        opts.onTrialEnd?.(r.record);
      }
      return last;
    })();
    storing = call;
    return call.finally(() => {
      if (storing === call) storing = null;
    });
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const running = current;
    if (running) {
      running.stop();
      // A report held back for the result is stored before the trial goes back, as any other.
      await running.flush().catch(() => {});
      await storage.release(running.id, worker);
    }
    // A store in flight ends first: results that ended beat running them again.
    let recorded = storing ? await storing.catch(() => null) : null;
    if (pending.length > 0) recorded = (await store(0).catch(() => null)) ?? recorded;
    // Trials claimed ahead and not started go back.
    for (const t of queue.splice(0)) await storage.release(t.id, worker);
    rejectInterrupted(new StudyWorkerInterrupted(running ? running.id : null, recorded));
  };
  const onAbort = () => void stop().catch(rejectInterrupted);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  // Several trials per claim and their results stored together need the one-statement call, and
  // no ASHA: a rung decision waits for the smaller trials' stored values and results, which a
  // batch would hold back.
  const batching = batchMs > 0 && storage.recordAndClaim !== undefined && !ashaRule;
  // The epoch this worker's last trial that ran to its end reported last: the next trials of the
  // study most likely end there too (see holdBack).
  let expectedLast: number | null = null;
  // A report is held back (not written at once) when it is most likely the trial's last and the
  // storage can store it in the statement that records the result (recordAndClaim): one round
  // trip per trial instead of two, where a short trial spends most of its storage time. Never
  // with ASHA, whose rung decisions read the other trials' stored values. When the objective
  // goes on after it anyway, the held-back report is written at the event loop's next turn, or
  // with the next report, or before the trial is given back on Ctrl-C; a worker killed in
  // between loses that one value of the killed attempt's curve (the re-run stores it again).
  const holdBack = (epoch: number) =>
    !ashaRule && storage.recordAndClaim !== undefined && epoch === expectedLast;

  const work = async (): Promise<StudyWorkerResult> => {
    const { created } = await storage.openStudy(def);

    // Runs a claimed trial; when its objective ended and the trial is still this worker's, its
    // result joins `pending` (in the same turn as `current` is cleared, so Ctrl-C finds it in
    // exactly one of the two).
    const runTrial = async (claimed: ClaimedTrial): Promise<TrialResult | null> => {
      const { id, params } = claimed;
      const seed = trialSeed(header.seed, id);
      let left: 'lost' | 'yielded' | 'stopped' | null = null;
      // Reports held back for the result (holdBack: at most the one of epoch expectedLast), and
      // the write of earlier ones in flight.
      let heldBack: EpochReport[] = [];
      let flushing: Promise<void> = Promise.resolve();
      let fallback: ReturnType<typeof setImmediate> | undefined;
      const flush = (): Promise<void> => {
        const out = heldBack;
        heldBack = [];
        if (out.length > 0) {
          flushing = flushing.then(async () => {
            for (const e of out) {
              if (!(await storage.report(id, worker, e.epoch, e.metrics))) left ??= 'lost';
            }
          });
        }
        return flushing;
      };
      const beat = setInterval(() => {
        storage.heartbeat(id, worker).then(
          (ok) => {
            if (!ok) left ??= 'lost';
          },
          // The storage retries dropped connections itself; a beat that still fails is skipped.
          () => {},
        );
        // Trials claimed ahead, and results not stored yet, are this worker's too.
        for (const t of [...queue, ...pending]) storage.heartbeat(t.id, worker).catch(() => {});
      }, heartbeatMs);
      current = {
        id,
        stop: () => {
          left = 'stopped';
          clearInterval(beat);
        },
        flush,
      };
      opts.onTrialStart?.(claimed);
      const decideRung = async (rung: number, value: number): Promise<Decision> => {
        for (;;) {
          const o = await storage.rung(id, rung, value);
          if ('decided' in o) return o.decided;
          if (left) throw new TrialLeft(left);
          await storage.requeueStale(graceMs);
          if ((await storage.queuedAmong(o.waitFor)).length > 0) {
            left = 'yielded';
            throw new TrialLeft('yielded');
          }
          await sleep(pollMs);
        }
      };
      const run: TrialRun = new TrialRun(id, header.metric, async (epoch, value) => {
        if (left) throw new TrialLeft(left);
        const last = run.history[run.history.length - 1];
        if (holdBack(epoch)) {
          heldBack.push(last);
          // Written at the next turn of the event loop unless the result takes it first.
          fallback = setImmediate(() => void flush().catch(() => {}));
        } else {
          await flush();
          if (left) throw new TrialLeft(left);
          if (!(await storage.report(id, worker, epoch, last.metrics))) {
            left = 'lost';
            throw new TrialLeft(left);
          }
        }
        const diverged = divergedDecision(header.metric, epoch, value);
        if (diverged) return diverged;
        const after = run.history.length > 1 ? run.history[run.history.length - 2].epoch : 0;
        if (ashaRule) {
          for (const rung of rungsBetween(ashaRule, after, epoch)) {
            const d = await decideRung(rung, value);
            if (d.stop) return d;
          }
        }
        return patienceDecision(
          patienceRule,
          run.history.map((h) => h.metrics[header.metric]),
          header.mode,
          header.metric,
        );
      });
      const started = performance.now();
      let outcome: { value?: unknown; error?: string };
      try {
        const reporter: Reporter = { trialId: id, seed, report: (e, m) => run.report(e, m) };
        manualSeed(seed);
        outcome = { value: await objective(params, reporter) };
      } catch (e) {
        outcome = { error: e instanceof Error ? e.message : String(e) };
      } finally {
        clearInterval(beat);
        clearImmediate(fallback);
      }
      // Ctrl-C: the interrupt has released the trial already.
      if (left === 'stopped') return null;
      if (left === 'yielded') {
        await flush();
        await storage.release(id, worker);
        current = null;
        return null;
      }
      // What was held back goes with the result; a write of earlier reports ends first.
      const held = heldBack.pop();
      await flush();
      if (left) {
        current = null;
        return null;
      }
      const seconds = (performance.now() - started) / 1000;
      const record = normalizeTrial(
        finishTrial(
          { id, stage: 0, config: params, seed, seconds },
          run,
          header.metric,
          header.mode,
          outcome,
        ),
      );
      if (record.status === 'completed') expectedLast = record.history.at(-1)?.epoch ?? null;
      const result: TrialResult = held ? { id, record, last: held } : { id, record };
      current = null;
      pending.push(result);
      return result;
    };

    // Trials to claim at once: 1 until a trial has run, then as many as fit in batchMs at the
    // last trial's pace (at most 16); always 1 without batching.
    let perClaim = 1;
    // An idle worker looks again after 5 ms, doubling up to pollMs: the last trials of a study
    // of short trials end within milliseconds, and every worker returns only once they have. A
    // storage that wakes its idle workers (waitForWork: a trial given back, the study's end)
    // needs no quick looks: they wait pollMs from the start.
    const firstIdleMs = storage.waitForWork ? pollMs : Math.min(5, pollMs);
    let idleMs = firstIdleMs;
    for (;;) {
      if (stopped) return await interrupted;
      // Records what ended and claims what runs next, in one call where the storage can.
      if (queue.length === 0) await store(perClaim);
      if (stopped) return await interrupted;
      const claimed = queue.shift();
      if (claimed) {
        let ended: TrialResult | null;
        try {
          ended = await runTrial(claimed);
        } finally {
          current = null;
        }
        if (stopped) return await interrupted;
        if (ended && batching) {
          const ms = Math.max(ended.record.seconds * 1000, 0.05);
          perClaim = Math.max(1, Math.min(16, Math.floor(batchMs / ms)));
        }
        // Results wait for the next claim while the queue holds short trials (only a batch
        // leaves any there); a slow one, or results that add up to batchMs, are stored at once.
        if (
          queue.length > 0 &&
          pending.reduce((ms, r) => ms + r.record.seconds * 1000, 0) >= batchMs
        )
          await store(0);
        idleMs = firstIdleMs;
        continue;
      }
      if ((await storage.unfinished()) === 0) break;
      await storage.requeueStale(graceMs);
      // Woken early where the storage can (a trial went back to the queue, the study finished).
      await (storage.waitForWork ? storage.waitForWork(idleMs) : sleep(idleMs));
      idleMs = Math.min(pollMs, idleMs * 2);
    }
    if (!opts.readTrials && storage.summary) {
      const { planned, best } = await storage.summary(header.mode);
      return { created, ran, total: planned, trials: null, best };
    }
    const trials = await storage.trials();
    const records = trials.flatMap((t) => (t.record ? [t.record] : []));
    return {
      created,
      ran,
      total: trials.length,
      trials: opts.readTrials ? trials : null,
      best: bestTrial(records, header.mode),
    };
  };

  try {
    return await Promise.race([work(), interrupted]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (typeof opts.storage === 'string') await storage.close();
  }
}
