/**
 * A pool of worker threads that run a WebAssembly module's exported functions
 * on one shared memory, synchronously from the caller's point of view.
 *
 * ## Design
 * - Every worker instantiates the same compiled module on the same shared
 *   `WebAssembly.Memory`, so a pointer means the same bytes on every thread,
 *   and growth on any thread is seen by all.
 * - `run()` writes the batch (function index, arguments) into a control
 *   SharedArrayBuffer (layout.ts), bumps the generation word and notifies.
 *   Workers and the caller claim tasks with compareExchange (work stealing:
 *   any thread may take any task), so a slow, sleeping, dead or not-yet-started
 *   worker only means the caller runs more tasks itself. Workers that are not
 *   up yet simply do not take part: `run()` works from the first call, and
 *   `ready()` lets callers wait for the full pool.
 * - The caller waits for the last task with a short spin, then `Atomics.wait`
 *   (or only spins where blocking is not allowed: a browser's main thread).
 * - A task that throws (a trap) is recorded with its message in the control
 *   region; the remaining tasks of the run are skipped and `run()` throws a
 *   NerveError naming the function, the task and the thread. Nothing in the
 *   pool is left in a bad state, so the next `run()` works.
 */
import { NerveError } from '@nerve/core/backend';
import * as L from './layout.js';
import { spawnWorker, type WorkerHandle } from './platform.js';
import type { WasmTaskRunner } from '../wasm/runner.js';

/** Options for {@link createThreadPool}. */
export interface ThreadPoolOptions {
  /** The calling thread's instance of the module (created here when absent). */
  instance?: WebAssembly.Instance;
  /**
   * How long an idle worker, and the caller waiting for a run's last task,
   * spin before they sleep, in µs (default {@link DEFAULT_SPIN_MICROS}, or
   * `NERVE_CPU_SPIN_US`).
   */
  spinMicros?: number;
  /**
   * Whether a thread that was descheduled while spinning (another thread
   * wanted its core: the machine is oversubscribed) spins only 50 µs for the
   * next 50 ms (default true; layout.ts PREEMPT_MS, BACKOFF_MS).
   */
  adaptiveSpin?: boolean;
  /** How long the caller spins for a run's last task before it sleeps, in µs (default: spinMicros). */
  waitSpinMicros?: number;
  /** Tests only: worker 1 fails outside a task after claiming this many tasks. */
  testCrashAfter?: number;
}

/** A {@link WasmTaskRunner} backed by worker threads. */
export interface ThreadPool extends WasmTaskRunner {
  /** Resolves once every worker is up or has failed, with the number of threads taking part. */
  ready(): Promise<number>;
  /** Threads that can take tasks now (the caller plus the started, live workers). */
  liveThreads(): number;
  /**
   * Which thread ran each task (0 = caller) of the last batch that was shared
   * with the workers (runs of one task, or with no worker up, are not); for
   * tests and diagnostics.
   */
  lastRunThreads(): Int32Array;
  /** Changes how long idle workers spin before they sleep (µs; see ThreadPoolOptions); returns the old value. */
  setSpinMicros(micros: number): number;
  /** Changes how long the caller spins for a run's last task before it sleeps (µs); returns the old value. */
  setWaitSpinMicros(micros: number): number;
  /** Turns adaptive spinning (ThreadPoolOptions.adaptiveSpin) on or off; returns the old setting. */
  setAdaptiveSpin(on: boolean): boolean;
  /** Ends the workers; `run()` afterwards throws. */
  terminate(): void;
  /** Ends one worker (thread id in [1, threads)) and resolves once it is gone; for tests. */
  terminateWorker(id: number): Promise<void>;
}

const OP = 'threadPool';

/**
 * Default spin before an idle thread sleeps, in µs. Issue 16: in the MLP
 * b128 step the calling thread's work between two pooled products (bias
 * adds, ReLU, the loss, autograd, the SGD update) takes ~20-300 µs, so with
 * a 50 µs spin the worker slept before most products and each one paid a
 * wake-up (17-66 µs, docs/performance.md "Threads"). See docs/performance.md,
 * "Issue 16, two threads with margin", for the measurement behind this value.
 */
export const DEFAULT_SPIN_MICROS = 1000;

/** Contention probe: how often (ms), the waiting share that means contended, and how long that holds (ms). */
const PROBE_MS = 50;
const CONTENDED_SHARE = 0.25;
const HOLD_MS = 250;
/** Consecutive contended verdicts double the hold, up to this (ms). */
const MAX_HOLD_MS = 4000;

/** A reader of this thread's total run-queue wait in ns, where Linux's /proc offers it. */
function schedDelayReader(): (() => number | undefined) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as
    | { readFileSync(path: string, encoding: 'latin1'): string }
    | undefined;
  if (!fs) return undefined;
  const read = () => {
    try {
      const v = Number(fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[1]);
      return Number.isFinite(v) ? v : undefined;
    } catch {
      return undefined;
    }
  };
  return read() === undefined ? undefined : read;
}

function envSpin(): number | undefined {
  const v = typeof process === 'object' ? process.env?.NERVE_CPU_SPIN_US : undefined;
  return v === undefined || v === '' ? undefined : Number(v);
}
const INDEX_MASK = (1 << L.INDEX_BITS) - 1;

// Whether this thread may block in Atomics.wait: not on a browser's main thread.
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates a pool of `threads - 1` workers (the caller is the last thread) that
 * run exports of `module` on `memory`, which must be a shared memory.
 */
export function createThreadPool(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  threads: number,
  options: ThreadPoolOptions = {},
): ThreadPool {
  if (!Number.isInteger(threads) || threads < 1 || threads > L.MAX_THREADS) {
    throw new NerveError(OP, `an integer thread count in [1, ${L.MAX_THREADS}]`, String(threads));
  }
  if (typeof SharedArrayBuffer !== 'function' || !(memory.buffer instanceof SharedArrayBuffer)) {
    throw new NerveError(OP, 'a shared WebAssembly.Memory', 'a memory that is not shared');
  }
  let spinMicros = options.spinMicros ?? envSpin() ?? DEFAULT_SPIN_MICROS;
  const checkSpin = (us: number) => {
    if (!(us >= 0 && us <= 1e6)) throw new NerveError(OP, 'spinMicros in [0, 1e6]', String(us));
  };
  checkSpin(spinMicros);
  let waitSpinMicros = options.waitSpinMicros ?? spinMicros;
  checkSpin(waitSpinMicros);
  const instance = options.instance ?? new WebAssembly.Instance(module, { env: { memory } });
  const names = WebAssembly.Module.exports(module)
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
  const fnIndex = new Map(names.map((n, i) => [n, i]));
  const fns = names.map((n) => instance.exports[n] as (...a: number[]) => unknown);

  const control = new SharedArrayBuffer(L.CONTROL_BYTES);
  const ctl = new Int32Array(control);
  const args = new Float64Array(control, L.ARGS_BYTE, L.ARG_CAPACITY);
  const message = new Uint16Array(control, L.MESSAGE_BYTE, L.MESSAGE_CAPACITY);
  const blocking = canBlock();
  Atomics.store(ctl, L.SPIN, Math.round(spinMicros));
  Atomics.store(ctl, L.ADAPT, options.adaptiveSpin === false ? 0 : 1);
  let generation = 0;
  let terminated = false;
  let pending = threads - 1;
  let resolveReady: (n: number) => void = () => {};
  const readyPromise = new Promise<number>((r) => (resolveReady = r));
  // Workers publish their own state (layout.ts STATE words), so this is exact
  // even while run() blocks the event loop; deaths seen only by an 'exit' event
  // are recorded by the handler below.
  const liveThreads = () => {
    let n = 1;
    for (let id = 1; id < threads; id++) if (Atomics.load(ctl, L.STATE + id) === L.RUNNING) n++;
    return n;
  };
  const settle = () => {
    if (--pending === 0) resolveReady(liveThreads());
  };
  if (pending === 0) resolveReady(1);

  const workers: WorkerHandle[] = [];
  for (let id = 1; id < threads; id++) {
    let settled = false;
    const once = () => {
      if (!settled) {
        settled = true;
        settle();
      }
    };
    const handle = spawnWorker(`nerve-wasm-${id}`, {
      ready: once,
      failed: () => {
        Atomics.store(ctl, L.STATE + id, L.DEAD);
        once();
      },
    });
    const crashAfter = id === 1 ? (options.testCrashAfter ?? 0) : 0;
    handle.postMessage({ module, memory, control, id, crashAfter });
    workers.push(handle);
  }

  const runBatch = (fn: string, f: number, tasks: readonly (readonly number[])[], argc: number) => {
    const n = tasks.length;
    for (let t = 0; t < n; t++) args.set(tasks[t], t * argc);
    ctl[L.FN] = f;
    ctl[L.ARGC] = argc;
    Atomics.store(ctl, L.NTASKS, n);
    Atomics.store(ctl, L.DONE, 0);
    Atomics.store(ctl, L.ERROR, 0);
    generation = (generation + 1) & ((1 << (32 - L.INDEX_BITS)) - 1);
    const start = generation << L.INDEX_BITS;
    Atomics.store(ctl, L.WORD, start);
    // The caller takes a task itself, so at most n - 1 sleepers can help.
    Atomics.notify(ctl, L.WORD, n - 1);

    // The caller takes tasks like any worker.
    let callerError: unknown;
    const call = fns[f];
    for (let v = start; ; ) {
      const task = v & INDEX_MASK;
      if (task >= n) break;
      const seen = Atomics.compareExchange(ctl, L.WORD, v, v + 1);
      if (seen !== v) {
        v = seen;
        continue;
      }
      ctl[L.RAN_BY + task] = 0;
      try {
        if (Atomics.load(ctl, L.ERROR) === 0) call(...tasks[task]);
      } catch (e) {
        if (Atomics.compareExchange(ctl, L.ERROR, 0, task + 1) === 0) {
          callerError = e;
          ctl[L.ERROR_THREAD] = 0;
        }
      }
      Atomics.add(ctl, L.DONE, 1);
      v = Atomics.load(ctl, L.WORD);
    }
    waitForDone(n);

    const failed = Atomics.load(ctl, L.ERROR);
    if (failed !== 0) {
      const thread = ctl[L.ERROR_THREAD];
      const text =
        thread === 0
          ? String((callerError as Error)?.message ?? callerError)
          : String.fromCharCode(...message.subarray(0, ctl[L.ERROR_LEN]));
      const err = NerveError.raw(
        OP,
        `${fn} failed in task ${failed - 1} on thread ${thread}: ${text}`,
      );
      if (thread === 0) (err as Error & { cause?: unknown }).cause = callerError;
      throw err;
    }
  };

  const runLocal = (fn: string, f: number, tasks: readonly (readonly number[])[]) => {
    for (let t = 0; t < tasks.length; t++) {
      try {
        fns[f](...tasks[t]);
      } catch (e) {
        const err = NerveError.raw(
          OP,
          `${fn} failed in task ${t} on thread 0: ${String((e as Error)?.message ?? e)}`,
        );
        (err as Error & { cause?: unknown }).cause = e;
        throw err;
      }
    }
  };

  // Contention probe: the share of wall time the calling thread spent
  // waiting for a core (Linux /proc/thread-self/schedstat, field 2, ns),
  // sampled at most every PROBE_MS at the start of a run. Above
  // CONTENDED_SHARE the machine is oversubscribed: a spinning thread then
  // takes CPU time from this process's other thread (measured: the MLP b128
  // step at load 5-10 on 2 cores ran 1.3-2.3x slower with a 1 ms spin), so
  // idle threads spin only MIN_SPIN_MS for HOLD_MS, then try long spins for
  // one PROBE_MS window again; each contended trial doubles the hold (up to
  // MAX_HOLD_MS), so a machine that stays loaded sees long spins only in one
  // 50 ms window every few seconds, and a quiet one resets it.
  const readDelay = schedDelayReader();
  let probeAt = 0;
  let probeDelay = 0;
  let nextProbe = 0;
  let hold = HOLD_MS;
  const probe = (now: number) => {
    if (readDelay === undefined || now < nextProbe || Atomics.load(ctl, L.ADAPT) === 0) return;
    const delay = readDelay();
    if (delay === undefined) return;
    const share = probeAt === 0 ? 0 : (delay - probeDelay) / 1e6 / (now - probeAt);
    probeAt = now;
    probeDelay = delay;
    if (Atomics.load(ctl, L.CONTENDED) !== 0) {
      // A window of short spins says nothing about long ones: try them again
      // for one window.
      Atomics.store(ctl, L.CONTENDED, 0);
      nextProbe = now + PROBE_MS;
      return;
    }
    if (share > CONTENDED_SHARE) {
      Atomics.store(ctl, L.CONTENDED, 1);
      nextProbe = now + hold;
      hold = Math.min(MAX_HOLD_MS, 2 * hold);
    } else {
      hold = HOLD_MS;
      nextProbe = now + PROBE_MS;
    }
  };

  // The caller's own adaptive spin (see DEFAULT_SPIN_MICROS).
  let backoffUntil = 0;
  const waitForDone = (n: number) => {
    const t0 = performance.now();
    const maxMs = waitSpinMicros / 1000;
    const adapt = Atomics.load(ctl, L.ADAPT) !== 0;
    const short = adapt && (t0 < backoffUntil || Atomics.load(ctl, L.CONTENDED) !== 0);
    const spinMs = short ? Math.min(maxMs, L.MIN_SPIN_MS) : maxMs;
    let last = t0;
    // Where blocking is not allowed (a browser's main thread) it only spins.
    let spinning = true;
    for (let i = 1; ; i++) {
      const d = Atomics.load(ctl, L.DONE);
      if (d >= n) return;
      if (!spinning) {
        // Only the thread finishing the last task notifies; any earlier change
        // makes wait return at once, and the loop looks again.
        Atomics.wait(ctl, L.DONE, d);
      } else if (blocking && (i & 63) === 0) {
        const t = performance.now();
        if (adapt && t - last > L.PREEMPT_MS) {
          backoffUntil = t + L.BACKOFF_MS;
          spinning = false;
        } else if (t - t0 >= spinMs) spinning = false;
        last = t;
      }
    }
  };

  return {
    threads,
    run(fn, tasks) {
      if (terminated) throw NerveError.raw(OP, `run('${fn}') on a terminated pool`);
      const f = fnIndex.get(fn);
      if (f === undefined) {
        throw new NerveError(OP, `an exported function (${names.join(', ')})`, `'${fn}'`);
      }
      const argc = fns[f].length;
      for (let t = 0; t < tasks.length; t++) {
        const task = tasks[t];
        if (task.length !== argc || !task.every((a) => typeof a === 'number')) {
          throw new NerveError(
            `${OP}.run('${fn}')`,
            `${argc} numbers per task`,
            `[${task.join(', ')}] in task ${t}`,
          );
        }
      }
      probe(performance.now());
      // One task, or no worker up yet: nothing to share, so skip the handshake.
      if (tasks.length <= 1 || liveThreads() === 1) {
        runLocal(fn, f, tasks);
        return;
      }
      const perBatch = Math.min(L.TASK_CAPACITY, Math.floor(L.ARG_CAPACITY / Math.max(argc, 1)));
      if (tasks.length <= perBatch) {
        runBatch(fn, f, tasks, argc);
        return;
      }
      for (let s = 0; s < tasks.length; s += perBatch) {
        runBatch(fn, f, tasks.slice(s, s + perBatch), argc);
      }
    },
    ready: () => readyPromise,
    setSpinMicros(us) {
      checkSpin(us);
      const old = spinMicros;
      spinMicros = us;
      Atomics.store(ctl, L.SPIN, Math.round(us));
      return old;
    },
    setAdaptiveSpin(on) {
      return Atomics.exchange(ctl, L.ADAPT, on ? 1 : 0) !== 0;
    },
    setWaitSpinMicros(us) {
      checkSpin(us);
      const old = waitSpinMicros;
      waitSpinMicros = us;
      return old;
    },
    liveThreads,
    lastRunThreads: () => ctl.slice(L.RAN_BY, L.RAN_BY + ctl[L.NTASKS]),
    terminate() {
      if (terminated) return;
      terminated = true;
      Atomics.store(ctl, L.STOP, 1);
      Atomics.notify(ctl, L.WORD);
      for (const w of workers) void w.terminate();
    },
    async terminateWorker(id) {
      await workers[id - 1]?.terminate();
    },
  };
}
