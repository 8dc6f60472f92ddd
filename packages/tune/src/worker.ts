/**
 * A worker thread of a parallel study: loads the backend module the caller
 * named (tune itself depends on no backend) and the objective module, then
 * runs trials the parent sends, forwarding every report and waiting for the
 * parent's stop decision.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { manualSeed } from '@nerve/core/base';
import type { Config } from './space.js';
import type { Objective, Reporter } from './trial.js';

/** Messages from the parent. */
export type ToWorker =
  | { type: 'run'; trialId: number; config: Record<string, unknown>; seed: number }
  | { type: 'decision'; seq: number; stop: boolean; error?: string };

/** Messages to the parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'report'; trialId: number; seq: number; epoch: number; metrics: unknown }
  | { type: 'done'; trialId: number; value?: unknown; error?: string };

const port = parentPort;
const waiting = new Map<number, { resolve: (stop: boolean) => void; reject: (e: Error) => void }>();
let seq = 0;

function post(m: FromWorker): void {
  port?.postMessage(m);
}

/** Registers the backend: importing its module registers it, as in the parent. */
async function loadBackend(url: string | undefined): Promise<void> {
  if (url === undefined) return;
  const backend = (await import(url)) as { setThreads?: unknown };
  // Trials are the parallelism here: a backend with its own thread pool
  // (backend-cpu's setThreads) keeps each worker's kernels on its own thread
  // instead of every worker starting a pool of its own.
  if (typeof backend.setThreads === 'function') backend.setThreads(1);
}

async function load(): Promise<Objective> {
  const { url, exportName, backendUrl, args } = workerData as {
    url: string;
    exportName: string;
    backendUrl?: string;
    args?: unknown;
  };
  await loadBackend(backendUrl);
  const mod = (await import(url)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    throw new Error(
      `${url} has no function export '${exportName}' (exports: ${Object.keys(mod).join(', ')})`,
    );
  }
  const objective = fn as (config: Config, reporter: Reporter, args: unknown) => unknown;
  return (config, reporter) => objective(config, reporter, args);
}

async function run(objective: Objective, msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const reporter: Reporter = {
    trialId: msg.trialId,
    seed: msg.seed,
    report: (epoch, metrics) =>
      new Promise<boolean>((resolve, reject) => {
        const s = seq++;
        waiting.set(s, { resolve, reject });
        post({ type: 'report', trialId: msg.trialId, seq: s, epoch, metrics });
      }),
  };
  try {
    manualSeed(msg.seed);
    const value = await objective(msg.config as Config, reporter);
    post({ type: 'done', trialId: msg.trialId, value });
  } catch (e) {
    post({ type: 'done', trialId: msg.trialId, error: e instanceof Error ? e.message : String(e) });
  }
}

if (port) {
  load().then(
    (objective) => {
      port.on('message', (msg: ToWorker) => {
        if (msg.type === 'run') void run(objective, msg);
        else {
          const w = waiting.get(msg.seq);
          waiting.delete(msg.seq);
          if (msg.error !== undefined) w?.reject(new Error(msg.error));
          else w?.resolve(msg.stop);
        }
      });
      post({ type: 'ready' });
    },
    (e: unknown) =>
      post({ type: 'load-error', message: e instanceof Error ? e.message : String(e) }),
  );
}
