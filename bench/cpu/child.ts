/**
 * The child side of `pnpm bench:cpu`: one process per library column reads
 * one request per line on stdin ({ workload, seconds }) and answers each with
 * one line `@@bench {json}` on stdout. Libraries may print their own chatter;
 * the orchestrator only reads the tagged lines. torch_cpu.py speaks the same
 * protocol.
 */
import { createInterface } from 'node:readline';
import type { Workload } from './workloads.js';
import { matmulFlops } from './workloads.js';

/** Prefix of every protocol line on a child's stdout. */
export const TAG = '@@bench ';

/** A prepared workload: `step` runs one matmul (result materialised) or one training step. */
export interface Cell {
  step(): void | Promise<void>;
  /**
   * Compared across libraries: Σ|C| of one product (matmul) or the loss of
   * the first training step, before any update.
   */
  check?: number;
}

/** What a library's child implements. */
export interface Library {
  /** Version and settings, printed above the table. */
  info: string;
  /** Builds the workload's data (and model) once per process; later rounds reuse it. */
  prepare(w: Workload): Promise<Cell>;
}

/** A request from the orchestrator. */
export interface Request {
  workload: Workload;
  seconds: number;
}

/** A reply to the orchestrator. */
export type Reply =
  | { type: 'hello'; info: string }
  | { type: 'skip'; reason: string }
  | {
      type: 'result';
      workload: string;
      value: number;
      unit: string;
      steps: number;
      seconds: number;
      check?: number;
      /** CPU seconds the timed steps took, where the column can tell (nerve's, nerve-page's renderer). */
      cpuSeconds?: number;
    }
  | { type: 'error'; workload: string; message: string };

/** Writes one protocol line. */
export function send(reply: Reply): void {
  process.stdout.write(`${TAG}${JSON.stringify(reply)}\n`);
}

/**
 * Runs `step` until at least `seconds` have passed (and once at least);
 * returns steps, wall time and CPU time. A short step first runs once untimed, because the
 * caches hold another library's work; a slow one (tfjs-cpu's CNN step takes
 * tens of seconds) is not worth the repeat.
 */
export async function measure(
  step: () => void | Promise<void>,
  seconds: number,
  stepSeconds: number,
): Promise<{ steps: number; seconds: number; cpuSeconds: number }> {
  if (stepSeconds < seconds / 4) await step();
  let steps = 0;
  // This process's CPU time too (user + system, every thread): on a loaded machine it
  // tracks the work far better than wall time.
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  while (steps < 1 || elapsed < seconds) {
    await step();
    steps++;
    elapsed = (performance.now() - t0) / 1000;
  }
  const cpu = process.cpuUsage(c0);
  return { steps, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Warms a new cell up (JIT, kernel compilation, scratch buffers); returns the last step's seconds. */
async function warmUp(cell: Cell): Promise<number> {
  const t0 = performance.now();
  let last = 0;
  for (let i = 0; i < 1 || (performance.now() - t0 < 200 && i < 50); i++) {
    const t = performance.now();
    await cell.step();
    last = (performance.now() - t) / 1000;
  }
  return last;
}

/** The error a column other than nerve gives for a nerve-only (per-group path) row. */
export const NERVE_ONLY = 'nerve only: the same work as the row without (per-group path)';

export { sumAbs } from './nerve-cells.js';

/** The first line of an error, which is what the table can show. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Serves requests until stdin closes. `load` returns the library, or a reason to skip it. */
export async function serve(load: () => Promise<Library | string>): Promise<void> {
  let lib: Library | string;
  try {
    lib = await load();
  } catch (e) {
    const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    lib = `${missing ? 'not installed' : 'failed to load'}: ${errorLine(e)}`;
  }
  if (typeof lib === 'string') {
    send({ type: 'skip', reason: lib });
    process.exit(0);
  }
  send({ type: 'hello', info: lib.info });
  const cells = new Map<string, Cell | Error>();
  const stepSeconds = new Map<string, number>();
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const { workload: w, seconds } = JSON.parse(line) as Request;
    try {
      let cell = cells.get(w.name);
      if (cell === undefined) {
        try {
          cell = await lib.prepare(w);
          stepSeconds.set(w.name, await warmUp(cell));
        } catch (e) {
          cell = e instanceof Error ? e : new Error(String(e));
        }
        cells.set(w.name, cell);
      }
      if (cell instanceof Error) throw cell;
      const run = await measure(() => (cell as Cell).step(), seconds, stepSeconds.get(w.name) ?? 0);
      stepSeconds.set(w.name, run.seconds / run.steps);
      const perSecond = run.steps / run.seconds;
      const isMatmul = w.kind === 'matmul';
      send({
        type: 'result',
        workload: w.name,
        value: isMatmul ? (matmulFlops(w) * perSecond) / 1e9 : perSecond,
        unit: isMatmul ? 'GFLOP/s' : 'steps/s',
        ...run,
        check: cell.check,
      });
    } catch (e) {
      send({ type: 'error', workload: w.name, message: errorLine(e) });
    }
  }
  process.exit(0);
}
