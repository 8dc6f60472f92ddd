/**
 * What the pool needs from the host, in one place: whether threads can work
 * at all, how many cores there are, and how to start a worker from source
 * text. Node's modules are reached through `process.getBuiltinModule` (Node
 * ≥ 20.16), never a static `node:` import, so the package still bundles for
 * browsers.
 */
import { WORKER_SOURCE } from './worker-source.js';

interface NodeWorker {
  postMessage(value: unknown): void;
  on(event: 'message' | 'error' | 'exit', listener: (value: any) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface NodeWorkerThreads {
  Worker: new (src: string, options: { eval: true; name?: string }) => NodeWorker;
}

function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/** A started worker, whatever the host. */
export interface WorkerHandle {
  postMessage(value: unknown): void;
  /** Ends the thread (idempotent); resolves once it has ended. */
  terminate(): Promise<void>;
}

/** Events a worker reports to the thread that started it. */
export interface WorkerEvents {
  /** The worker instantiated the module and is taking tasks. */
  ready(): void;
  /** The worker cannot take tasks (instantiation failed, error, exit). */
  failed(reason: string): void;
}

/** True where a pool can be created: shared memory, shared wasm memory and workers all exist. */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics === 'undefined') return false;
  // Browsers define SharedArrayBuffer only on cross-origin-isolated pages; be explicit anyway.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  const hasWorkers =
    nodeBuiltin<NodeWorkerThreads>('node:worker_threads') !== undefined ||
    (typeof Worker === 'function' && typeof Blob === 'function' && typeof URL !== 'undefined');
  if (!hasWorkers) return false;
  try {
    const m = new WebAssembly.Memory({
      initial: 0,
      maximum: 1,
      shared: true,
    } as WebAssembly.MemoryDescriptor);
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** The host's core count: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers, else 1. */
export function defaultThreadCount(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>('node:os');
  const n = os
    ? (os.availableParallelism?.() ?? os.cpus().length)
    : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
        ?.hardwareConcurrency;
  return Number.isInteger(n) && (n as number) > 0 ? (n as number) : 1;
}

/**
 * Starts a pool worker. In Node it is unref'd once it is up, so an idle pool
 * never keeps the process alive; the process ending ends the workers.
 */
export function spawnWorker(name: string, events: WorkerEvents): WorkerHandle {
  const wt = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
  let settled = false;
  const fail = (reason: string) => {
    if (!settled) {
      settled = true;
      events.failed(reason);
    }
  };
  const onMessage = (m: { type?: string; message?: string }) => {
    if (m?.type === 'ready' && !settled) events.ready();
    else if (m?.type === 'failed') fail(m.message ?? 'worker failed');
  };
  if (wt) {
    const w = new wt.Worker(WORKER_SOURCE, { eval: true, name });
    // A starting worker keeps the process alive (so `await pool.ready()` can
    // finish); once up and idle it must not. Unref only after the listeners:
    // adding a 'message' listener refs the worker's port again.
    w.on('message', (m: { type?: string }) => {
      if (m?.type === 'ready') w.unref();
      onMessage(m);
    });
    w.on('error', (e: unknown) => fail(String((e as Error)?.message ?? e)));
    w.on('exit', (code: number) => fail(`exited with code ${code}`));
    return {
      postMessage: (value) => w.postMessage(value),
      terminate: () => w.terminate().then(() => {}),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url, { name });
  w.onmessage = (e) => {
    if (e.data?.type === 'ready') URL.revokeObjectURL(url);
    onMessage(e.data);
  };
  w.onerror = (e) => fail(e.message || 'worker error');
  return {
    postMessage: (value) => w.postMessage(value),
    terminate: () => {
      w.terminate();
      fail('terminated');
      return Promise.resolve();
    },
  };
}
