/**
 * `nerve bench`: a quick benchmark a user runs on their own machine. It times
 * the matmul and training workloads of `pnpm bench:cpu` (bench/cpu/
 * workloads.ts, through the same nerve cells, bench/cpu/nerve-cells.ts) on
 * the CPU backend at 1 thread and at N, and on WebGPU where an adapter
 * exists (skipped with the reason otherwise). The whole run stays under 30 s:
 * each measurement gets a short warm-up and `--seconds` of timed steps, and
 * measurements that would start past the budget are skipped, saying so.
 */
import os from 'node:os';
import { getThreads, setThreads, threadsReady, threadsSupported } from '@nerve/backend-cpu';
import * as core from '@nerve/core';
import { type Cell, matmulCell, trainCell } from '../../../bench/cpu/nerve-cells.js';
import { WORKLOADS, type Workload, matmulFlops } from '../../../bench/cpu/workloads.js';
import { BENCH } from './commands.js';
import { UsageError, parseCommand } from './flags.js';

/** The workloads `nerve bench` times, by their bench:cpu names. */
export const BENCH_WORKLOADS = ['mm1024', 'mlp', 'digits', 'cnn'] as const;

/**
 * Budget for the measurements (issue 16: ≤ 30 s in all): a measurement that
 * would start later is skipped, leaving room for the one in flight and startup.
 */
export const BUDGET_S = 22;

/** Short column titles of the table (the full labels are in the JSON). */
const TITLES: Record<(typeof BENCH_WORKLOADS)[number], string> = {
  mm1024: 'matmul 1024³ GFLOP/s',
  mlp: 'MLP b128 steps/s',
  digits: 'digits MLP b32 steps/s',
  cnn: 'CNN b64 steps/s',
};

/** Warm-up before timing: at least one step, up to this long. */
const WARMUP_S = 0.25;

export interface BenchArgs {
  seconds: number;
  quick: boolean;
  threads: number;
  backends: ('cpu' | 'webgpu')[];
  json: boolean;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const v = parseCommand(BENCH, argv);
  const backends = String(v.backends)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const b of backends) {
    if (b !== 'cpu' && b !== 'webgpu') {
      throw new UsageError(
        `--backends: expected a list of cpu, webgpu, received '${b}'`,
        BENCH.name,
      );
    }
  }
  if (backends.length === 0) {
    throw new UsageError('--backends: expected a list of cpu, webgpu, received nothing', 'bench');
  }
  const quick = v.quick as boolean;
  return {
    seconds: quick ? 0.05 : (v.seconds as number),
    quick,
    threads: (v.threads as number | undefined) ?? os.availableParallelism(),
    backends: backends as BenchArgs['backends'],
    json: v.json as boolean,
  };
}

/** One workload on one backend: its rate, or why it has none. */
export interface BenchMeasurement {
  workload: string;
  label: string;
  unit: 'GFLOP/s' | 'steps/s';
  value: number | null;
  steps?: number;
  seconds?: number;
  /** The check of bench:cpu (Σ|C| or the first-step loss); equal across backends up to rounding. */
  check?: number;
  skipped?: string;
}

/** One backend configuration (the CPU backend at a thread count, or WebGPU). */
export interface BenchBackend {
  id: string;
  backend: 'cpu' | 'webgpu';
  threads?: number;
  /** WebGPU: the adapter (vendor, device or description; "software" for a fallback adapter). */
  adapter?: string;
  /** Why the whole backend was skipped. */
  skipped?: string;
  results: BenchMeasurement[];
}

export interface BenchReport {
  host: { cpus: number; model: string; node: string; platform: string };
  loadAverage: { before: number[]; after: number[] };
  totalSeconds: number;
  backends: BenchBackend[];
}

function workload(name: string): Workload {
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`nerve bench: no workload ${name} in bench/cpu/workloads.ts`);
  return w;
}

function unitOf(w: Workload): BenchMeasurement['unit'] {
  return w.kind === 'matmul' ? 'GFLOP/s' : 'steps/s';
}

/** Runs `step` for at least `seconds` (and one step); returns the count and the time. */
async function timed(step: Cell['step'], seconds: number): Promise<{ steps: number; s: number }> {
  const t0 = performance.now();
  let steps = 0;
  let s = 0;
  while (steps < 1 || s < seconds) {
    await step();
    steps++;
    s = (performance.now() - t0) / 1000;
  }
  return { steps, s };
}

async function measure(
  w: Workload,
  args: BenchArgs,
  sync: boolean,
  deadline: number,
): Promise<BenchMeasurement> {
  const base = { workload: w.name, label: w.label, unit: unitOf(w) };
  if (performance.now() > deadline) {
    return { ...base, value: null, skipped: `over the ${BUDGET_S} s budget` };
  }
  let cell: Cell | undefined;
  try {
    cell =
      w.kind === 'matmul'
        ? await matmulCell(core, w, sync)
        : w.kind === 'depthwise'
          ? undefined
          : await trainCell(core, w);
    if (!cell) return { ...base, value: null, skipped: 'not a nerve bench workload' };
    await timed(cell.step, args.quick ? 0 : WARMUP_S);
    const { steps, s } = await timed(cell.step, args.seconds);
    const perSecond = steps / s;
    const value = w.kind === 'matmul' ? (matmulFlops(w) * perSecond) / 1e9 : perSecond;
    return { ...base, value, steps, seconds: s, check: cell.check };
  } catch (e) {
    return { ...base, value: null, skipped: `failed: ${(e as Error).message}` };
  } finally {
    cell?.dispose();
  }
}

/** Resolves to the reason WebGPU cannot run here, or undefined when it is up. */
async function webgpuUnavailable(): Promise<string | undefined> {
  try {
    await import('@nerve/backend-webgpu');
  } catch (e) {
    return `@nerve/backend-webgpu could not be loaded (${(e as Error).message})`;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('no adapter answered within 10 s'), 10_000);
  });
  try {
    const up = core
      .ready('webgpu')
      .then(() => undefined)
      .catch((e: unknown) => String((e as Error)?.message ?? e));
    return await Promise.race([up, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line name of the WebGPU adapter, where the backend describes it. */
function adapterName(backend: unknown): string | undefined {
  const describe = (backend as { describe?: () => Record<string, unknown> }).describe;
  if (typeof describe !== 'function') return undefined;
  try {
    const a = describe.call(backend);
    const parts = [a.vendor, a.device || a.description || a.architecture]
      .map((x) => String(x ?? '').trim())
      .filter(Boolean);
    const name = parts.join(' ') || 'unnamed adapter';
    return a.isFallbackAdapter ? `${name} (software)` : name;
  } catch {
    return undefined;
  }
}

/** Runs the benchmark; `onResult` sees each measurement as it lands. */
export async function runBench(
  args: BenchArgs,
  onResult?: (b: BenchBackend, m: BenchMeasurement) => void,
): Promise<BenchReport> {
  const t0 = performance.now();
  const deadline = t0 + BUDGET_S * 1000;
  const before = os.loadavg();
  const workloads = BENCH_WORKLOADS.map(workload);
  const configs: BenchBackend[] = [];
  const previous = core.getBackendName();
  const previousThreads = getThreads();
  if (args.backends.includes('cpu')) {
    const counts = [1];
    const n = Math.max(1, args.threads);
    if (n > 1) counts.push(n);
    for (const threads of counts) {
      const b: BenchBackend = { id: `cpu-${threads}t`, backend: 'cpu', threads, results: [] };
      configs.push(b);
      if (threads > 1 && !threadsSupported()) {
        b.skipped = 'worker threads cannot share memory here';
        continue;
      }
      await setThreads(threads);
      b.threads = await threadsReady();
      if (b.threads !== threads)
        b.skipped = `the backend runs ${b.threads} thread(s), not ${threads}`;
      if (b.skipped) continue;
      core.setBackend('cpu');
      for (const w of workloads) {
        const m = await measure(w, args, true, deadline);
        b.results.push(m);
        onResult?.(b, m);
      }
    }
    await setThreads(previousThreads);
    await threadsReady();
  }
  if (args.backends.includes('webgpu')) {
    const b: BenchBackend = { id: 'webgpu', backend: 'webgpu', results: [] };
    configs.push(b);
    b.skipped = await webgpuUnavailable();
    if (!b.skipped) {
      b.adapter = adapterName(core.getBackend('webgpu'));
      core.setBackend('webgpu');
      for (const w of workloads) {
        const m = await measure(w, args, false, deadline);
        b.results.push(m);
        onResult?.(b, m);
      }
    }
  }
  core.setBackend(previous);
  const cpus = os.cpus();
  return {
    host: {
      cpus: os.availableParallelism(),
      model: cpus[0]?.model?.trim() ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    loadAverage: { before, after: os.loadavg() },
    totalSeconds: (performance.now() - t0) / 1000,
    backends: configs,
  };
}

function rate(m: BenchMeasurement | undefined): string {
  if (!m) return '';
  if (m.value === null) return 'skipped';
  return m.value >= 100 ? m.value.toFixed(0) : m.value.toFixed(1);
}

/** The human-readable table: one row per backend, one column per workload, then notes. */
export function formatBench(r: BenchReport): string {
  const workloads = BENCH_WORKLOADS.map(workload);
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `nerve bench — ${r.host.cpus} CPUs (${r.host.model}), Node ${r.host.node}, ${r.host.platform}`,
    `load average before ${load(r.loadAverage.before)}, after ${load(r.loadAverage.after)}`,
    '',
  ];
  const header = ['backend', ...BENCH_WORKLOADS.map((n) => TITLES[n])];
  const rows = r.backends.map((b) => {
    const name =
      b.backend === 'cpu' ? `cpu ${b.threads} thread${b.threads === 1 ? '' : 's'}` : b.id;
    if (b.skipped) return [name, `skipped: ${b.skipped}`];
    return [name, ...workloads.map((w) => rate(b.results.find((m) => m.workload === w.name)))];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.filter((row) => row.length > 2).map((row) => (row[i] ?? '').length)),
  );
  const fmt = (row: string[]) =>
    row.length === 2 && rows.includes(row) && row[1].startsWith('skipped')
      ? `${row[0].padEnd(widths[0])}  ${row[1]}`
      : row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(fmt(header), ...rows.map(fmt));
  const notes = r.backends.flatMap((b) =>
    b.results.filter((m) => m.skipped).map((m) => `${b.id} ${m.workload}: ${m.skipped}`),
  );
  lines.push(
    '',
    ...workloads.map((w, i) => `${TITLES[BENCH_WORKLOADS[i]].padEnd(22)}  ${w.label}`),
  );
  for (const b of r.backends) if (b.adapter) lines.push(`${b.id} adapter: ${b.adapter}`);
  if (notes.length) lines.push('', ...notes);
  lines.push('', `${r.totalSeconds.toFixed(1)} s in all`);
  return lines.join('\n');
}
