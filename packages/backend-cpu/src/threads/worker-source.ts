/**
 * The body of every pool worker, as plain JavaScript text. A string (not a
 * file) so the same code starts as a Node eval worker or a browser Blob worker,
 * whether the package runs from TypeScript sources (tsx, vitest) or from a
 * single-file bundle: there is no worker file to resolve.
 *
 * Protocol: one init message { module, memory, control, id, crashAfter }; the
 * worker instantiates the module with { env: { memory } } and then never
 * returns to its event loop: it claims tasks from the control region (see
 * layout.ts), spins briefly when there is nothing to do, then sleeps in
 * Atomics.wait on WORD until the caller publishes the next run or sets STOP.
 */
import * as L from './layout.js';

/** JavaScript source of a pool worker (Node `eval: true` or a browser Blob URL). */
export const WORKER_SOURCE = `'use strict';
const nodeWorker = globalThis.process?.getBuiltinModule?.('node:worker_threads');
const post = (m) => (nodeWorker ? nodeWorker.parentPort.postMessage(m) : self.postMessage(m));
const onInit = (f) => {
  if (nodeWorker) nodeWorker.parentPort.once('message', f);
  else self.onmessage = (e) => { self.onmessage = null; f(e.data); };
};
onInit((init) => {
  const { module, memory, control, id } = init;
  const ctl = new Int32Array(control);
  const args = new Float64Array(control, ${L.ARGS_BYTE}, ${L.ARG_CAPACITY});
  const message = new Uint16Array(control, ${L.MESSAGE_BYTE}, ${L.MESSAGE_CAPACITY});
  let fns;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fns = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => instance.exports[e.name]);
  } catch (e) {
    Atomics.store(ctl, ${L.STATE} + id, ${L.DEAD});
    post({ type: 'failed', message: String(e && e.message || e) });
    return;
  }
  const report = (task, e) => {
    if (Atomics.compareExchange(ctl, ${L.ERROR}, 0, task + 1) !== 0) return;
    const text = String((e && e.message) || e);
    const n = Math.min(text.length, ${L.MESSAGE_CAPACITY});
    for (let i = 0; i < n; i++) message[i] = text.charCodeAt(i);
    ctl[${L.ERROR_THREAD}] = id;
    ctl[${L.ERROR_LEN}] = n;
  };
  const call = (f, argc, b) => {
    switch (argc) {
      case 0: return f();
      case 1: return f(args[b]);
      case 2: return f(args[b], args[b + 1]);
      case 3: return f(args[b], args[b + 1], args[b + 2]);
      case 4: return f(args[b], args[b + 1], args[b + 2], args[b + 3]);
      case 5: return f(args[b], args[b + 1], args[b + 2], args[b + 3], args[b + 4]);
      case 6: return f(args[b], args[b + 1], args[b + 2], args[b + 3], args[b + 4], args[b + 5]);
      default: {
        const a = argv[argc] || (argv[argc] = new Array(argc));
        for (let i = 0; i < argc; i++) a[i] = args[b + i];
        return f.apply(undefined, a);
      }
    }
  };
  const argv = [];
  // Sleeps until WORD differs from v (or STOP is set); returns WORD's new value.
  // Spins first, up to SPIN µs, or MIN_SPIN_MS for BACKOFF_MS after the spin
  // was descheduled, while the caller finds the machine contended, or after
  // an idle longer than the full spin (adaptive, see thread-pool.ts).
  let backoffUntil = 0;
  let missed = false;
  const idle = (v) => {
    const t0 = performance.now();
    const maxMs = Atomics.load(ctl, ${L.SPIN}) / 1000;
    const adapt = Atomics.load(ctl, ${L.ADAPT}) !== 0;
    const short =
      adapt && (missed || t0 < backoffUntil || Atomics.load(ctl, ${L.CONTENDED}) !== 0);
    const spinMs = short ? Math.min(maxMs, ${L.MIN_SPIN_MS}) : maxMs;
    let last = t0;
    for (let i = 1; ; i++) {
      const w = Atomics.load(ctl, ${L.WORD});
      if (w !== v || Atomics.load(ctl, ${L.STOP}) !== 0) {
        missed = false;
        return w;
      }
      if ((i & 63) === 0) {
        const t = performance.now();
        if (adapt && t - last > ${L.PREEMPT_MS}) {
          backoffUntil = t + ${L.BACKOFF_MS};
          break;
        }
        last = t;
        if (t - t0 >= spinMs) break;
      }
    }
    Atomics.wait(ctl, ${L.WORD}, v);
    // Slept: would the full spin have caught this run? If not (runs come
    // further apart than the spin, e.g. one large product after another with
    // the caller's copies between), spin short until one comes sooner.
    missed = performance.now() - t0 >= maxMs;
    return Atomics.load(ctl, ${L.WORD});
  };
  Atomics.store(ctl, ${L.STATE} + id, ${L.RUNNING});
  post({ type: 'ready' });
  let crashAfter = init.crashAfter || 0;
  let claimed = -1;
  let claimedOf = 0;
  const finish = (n) => {
    if (Atomics.add(ctl, ${L.DONE}, 1) + 1 === n) Atomics.notify(ctl, ${L.DONE});
  };
  let v = Atomics.load(ctl, ${L.WORD});
  try {
    while (Atomics.load(ctl, ${L.STOP}) === 0) {
      const n = Atomics.load(ctl, ${L.NTASKS});
      const task = v & ${(1 << L.INDEX_BITS) - 1};
      if (task >= n) { v = idle(v); continue; }
      const seen = Atomics.compareExchange(ctl, ${L.WORD}, v, v + 1);
      if (seen !== v) { v = seen; continue; }
      // Claimed: until DONE counts this task the run cannot end, so FN, ARGC,
      // NTASKS and the arguments stay those of the run we claimed from.
      claimed = task;
      claimedOf = n;
      ctl[${L.RAN_BY} + task] = id;
      if (crashAfter > 0 && --crashAfter === 0) throw new Error('injected crash (test)');
      if (Atomics.load(ctl, ${L.ERROR}) === 0) {
        try {
          const argc = ctl[${L.ARGC}];
          call(fns[ctl[${L.FN}]], argc, task * argc);
        } catch (e) {
          report(task, e);
        }
      }
      claimed = -1;
      finish(n);
      v = Atomics.load(ctl, ${L.WORD});
    }
  } catch (e) {
    // A failure outside the task itself: this worker is done for. Settle the
    // task it holds as failed, so run() throws instead of waiting for it.
    const text = String((e && e.message) || e);
    Atomics.store(ctl, ${L.STATE} + id, ${L.DEAD});
    if (claimed >= 0) {
      report(claimed, new Error('worker ' + id + ' stopped while running it: ' + text));
      finish(claimedOf);
    }
    post({ type: 'failed', message: text });
  }
  Atomics.store(ctl, ${L.STATE} + id, ${L.DEAD});
  if (nodeWorker) nodeWorker.parentPort.close();
  else self.close();
});
`;
