/**
 * Worker threads for parallel trials. The objective travels as a module URL
 * and export name, which every worker imports itself.
 *
 * When this file runs from TypeScript sources (tests, `tsx`, the CLI in the
 * workspace), workers must load TypeScript too. Node 20 ignores `--import`
 * in a worker's execArgv, so the worker starts from a small bootstrap that
 * registers tsx through its API (`tsx/esm/api`'s `register()`, the same
 * hooks as `--import tsx`) and then imports worker.ts; execArgv carries
 * `--conditions=@nerve/source` so workspace packages resolve to their
 * sources, as in the parent. Built code (dist/) starts worker.js directly.
 */
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NerveError } from '@nerve/core/base';
import type { FromWorker, ToWorker } from './worker.js';

/** An objective a worker can import: an ES module (absolute path or file URL) and its export. */
export interface ObjectiveRef {
  /** The module: an absolute path or a file URL. */
  module: string;
  /** The name of the objective function the module exports. */
  exportName: string;
  /**
   * Fixed arguments every trial gets as the objective's third parameter
   * (what is not searched: the data set, the model's kind). Copied to each
   * worker with the structured clone algorithm, so plain data only.
   */
  args?: unknown;
}

/** A copy of the objective's fixed arguments, as a worker gets them; refused when not plain data. */
export function cloneArgs(ref: ObjectiveRef): unknown {
  try {
    return structuredClone(ref.args);
  } catch (e) {
    throw new NerveError(
      'runStudy',
      'objective.args plain data (structured-cloneable)',
      (e as Error).message,
    );
  }
}

/** The module's file URL; relative paths are refused (they would depend on the worker's cwd). */
export function moduleUrl(op: string, ref: ObjectiveRef): string {
  if (
    ref === null ||
    typeof ref !== 'object' ||
    typeof ref.module !== 'string' ||
    typeof ref.exportName !== 'string'
  ) {
    throw new NerveError(
      op,
      'an objective function or { module, exportName } strings',
      String(ref),
    );
  }
  if (ref.module.startsWith('file:')) return ref.module;
  if (isAbsolute(ref.module)) return pathToFileURL(ref.module).href;
  throw new NerveError(op, 'objective.module an absolute path or a file URL', ref.module);
}

/**
 * The file URL of the backend module each worker imports before the
 * objective (undefined: none; the objective's module must then register one).
 * Like the objective, it must be absolute: a bare name such as
 * '@nerve/backend-cpu' would be resolved from tune, which depends on no
 * backend; resolve it where it is declared, e.g.
 * `import.meta.resolve('@nerve/backend-cpu')`.
 */
export function backendUrl(op: string, module: unknown): string | undefined {
  if (module === undefined) return undefined;
  if (typeof module === 'string' && (module.startsWith('file:') || isAbsolute(module)))
    return moduleUrl(op, { module, exportName: '' });
  throw new NerveError(
    op,
    'backendModule an absolute path or a file URL (resolve the backend package where it is a dependency, e.g. with import.meta.resolve)',
    String(module),
  );
}

/** How to start a worker from here (see the file comment). */
function launch(): { entry: string | URL; eval: boolean; execArgv: string[] } {
  const here = import.meta.url;
  if (!here.endsWith('.ts'))
    return { entry: new URL('./worker.js', here), eval: false, execArgv: [] };
  const tsxApi = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href;
  const workerTs = new URL('./worker.ts', here).href;
  const code = `import(${JSON.stringify(tsxApi)})
  .then((m) => { m.register(); return import(${JSON.stringify(workerTs)}); })
  .catch((e) => require('node:worker_threads').parentPort.postMessage({ type: 'load-error', message: String((e && e.stack) || e) }));`;
  return { entry: code, eval: true, execArgv: ['--conditions=@nerve/source'] };
}

interface Job {
  resolve: (r: { value?: unknown; error?: string }) => void;
  onReport: (epoch: number, metrics: unknown) => Promise<boolean>;
}

/** One worker thread and the trial it is running. */
class TrialWorker {
  private job: Job | null = null;
  private dead = false;
  readonly ready: Promise<void>;
  private readonly worker: Worker;

  constructor(url: string, exportName: string, backend: string | undefined, args: unknown) {
    const l = launch();
    this.worker = new Worker(l.entry, {
      eval: l.eval,
      execArgv: l.execArgv,
      workerData: { url, exportName, backendUrl: backend, args },
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'load-error')
          reject(NerveError.raw('runStudy', `a worker could not load the objective: ${m.message}`));
        else this.onMessage(m);
      });
      const fail = (why: string) => {
        this.dead = true;
        reject(NerveError.raw('runStudy', `a worker ${why} while loading`));
        this.job?.resolve({ error: `the worker running this trial ${why}` });
        this.job = null;
      };
      this.worker.on('error', (e) => fail(`threw ${e.message}`));
      this.worker.on('exit', (code) => fail(`exited with code ${code}`));
    });
    // A load failure is reported by the pool; do not let it surface as unhandled here.
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return !this.dead;
  }

  private onMessage(m: FromWorker): void {
    const job = this.job;
    if (!job) return;
    if (m.type === 'report') {
      job.onReport(m.epoch, m.metrics).then(
        (stop) => this.post({ type: 'decision', seq: m.seq, stop }),
        (e: unknown) =>
          this.post({
            type: 'decision',
            seq: m.seq,
            stop: true,
            error: e instanceof Error ? e.message : String(e),
          }),
      );
    } else if (m.type === 'done') {
      this.job = null;
      job.resolve(m.error === undefined ? { value: m.value } : { error: m.error });
    }
  }

  private post(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  run(
    trialId: number,
    config: Record<string, unknown>,
    seed: number,
    onReport: Job['onReport'],
  ): Promise<{ value?: unknown; error?: string }> {
    return new Promise((resolve) => {
      this.job = { resolve, onReport };
      this.post({ type: 'run', trialId, config, seed });
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }
}

/** N worker threads, each running one trial at a time. */
export class WorkerPool {
  private constructor(
    private readonly workers: TrialWorker[],
    private readonly url: string,
    private readonly exportName: string,
    private readonly backend: string | undefined,
    private readonly args: unknown,
  ) {}

  /**
   * Starts `n` workers and waits until each has loaded the backend module
   * (see backendUrl) and the objective.
   */
  static async create(n: number, ref: ObjectiveRef, backendModule?: string): Promise<WorkerPool> {
    const url = moduleUrl('runStudy', ref);
    const backend = backendUrl('runStudy', backendModule);
    const args = cloneArgs(ref);
    const workers = Array.from(
      { length: n },
      () => new TrialWorker(url, ref.exportName, backend, args),
    );
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new WorkerPool(workers, url, ref.exportName, backend, args);
  }

  /** Runs a trial on worker `lane` (restarting it first if it died). */
  async run(
    lane: number,
    trialId: number,
    config: Record<string, unknown>,
    seed: number,
    onReport: Job['onReport'],
  ): Promise<{ value?: unknown; error?: string }> {
    if (!this.workers[lane].alive) {
      this.workers[lane] = new TrialWorker(this.url, this.exportName, this.backend, this.args);
      await this.workers[lane].ready;
    }
    return this.workers[lane].run(trialId, config, seed, onReport);
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
