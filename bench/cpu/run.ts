/**
 * `pnpm bench:cpu`: matmul GFLOP/s and MLP/CNN training steps/s on the CPU,
 * nerve next to tfjs-cpu, tfjs-wasm, jax-js (wasm) and PyTorch (1 and 2
 * threads). One process per library column; the cells alternate round-robin
 * over the columns for several rounds, and the tables show medians and
 * ratios to nerve.
 *   pnpm bench:cpu [-- --only nerve,tfjs --workloads matmul,mlp --rounds 3 --seconds 0.5 --json out.json]
 * --page adds nerve-page: the nerve column's cells timed in Chromium (nerve-page.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { ColumnProcess, allColumns, probeNerve } from './columns.js';
import { type Results, formatTables, median } from './report.js';
import { WORKLOADS, WORKLOAD_GROUPS, type Workload } from './workloads.js';

const USAGE = `usage: pnpm bench:cpu [-- options]
  --only <list>       columns to run, by id or prefix (nerve, tfjs-wasm, torch, ...)
  --workloads <list>  workload names or groups (matmul, square, train, mm128, fc1-dW, mlp, cnn, ...)
  --rounds N          round-robin rounds; the table shows medians (default 3)
  --seconds S         minimum timed seconds per cell and round (default 0.5)
  --base <id>         the column ratios are taken to (default: the first nerve column)
  --timeout S         give up on a column after S seconds without a reply (default 600)
  --json <file>       also write the results as JSON
  --page              add the nerve-page column: nerve in headless Chromium (cross-origin
                      isolated localhost page, 1 thread); off by default, it starts a browser
                      (e.g. --page --only nerve --workloads digits)`;

/** Bad flags end the run before anything starts, with the usage. */
function usageError(message: string): never {
  console.error(`bench:cpu: ${message}\n${USAGE}`);
  process.exit(2);
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) usageError(`--${name} needs a value`);
  return v;
}

function positive(name: string, fallback: number): number {
  const v = Number(flag(name) ?? fallback);
  if (!(v > 0)) usageError(`--${name}: expected a positive number, received ${flag(name)}`);
  return v;
}

function pickWorkloads(list: string | undefined): Workload[] {
  if (!list) return WORKLOADS;
  const names = new Set<string>();
  for (const token of list.split(',').map((s) => s.trim())) {
    const group = WORKLOAD_GROUPS[token] ?? (WORKLOADS.some((w) => w.name === token) && [token]);
    if (!group) {
      const known = [...Object.keys(WORKLOAD_GROUPS), ...WORKLOADS.map((w) => w.name)];
      usageError(`--workloads: unknown '${token}'; known: ${known.join(', ')}`);
    }
    for (const n of group) names.add(n);
  }
  return WORKLOADS.filter((w) => names.has(w.name));
}

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const rounds = Math.round(positive('rounds', 3));
const seconds = positive('seconds', 0.5);
const timeoutS = positive('timeout', 600);
const workloads = pickWorkloads(flag('workloads'));
const only = flag('only')
  ?.split(',')
  .map((s) => s.trim());
const jsonPath = flag('json');

const wanted = (id: string) => !only || only.some((o) => id === o || id.startsWith(o));
const controls = await probeNerve();
const page = process.argv.includes('--page');
const candidates = allColumns(controls, { page }).filter(
  (c) => wanted(c.id) || (page && c.id === 'nerve-page'),
);
if (candidates.length === 0) usageError(`--only ${only?.join(',')} matches no column`);

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();
console.log(`bench:cpu — ${os.cpus().length} CPUs, load average ${loadBefore}`);
console.log(
  `rounds ${rounds}, ≥ ${seconds} s per cell, workloads ${workloads.map((w) => w.name).join(' ')}`,
);

// Start every column at once (loading is the slow part), then keep the ones that answer.
const started = candidates.map((c) => new ColumnProcess(c));
const hellos = await Promise.all(started.map((p) => p.receive(120)));
const procs: ColumnProcess[] = [];
const info: Record<string, string> = {};
const skipped: Record<string, string> = {};
if (!controls.modes && wanted('nerve-simd')) {
  skipped['nerve-scalar/simd/relaxed'] = '@nerve/backend-cpu exports no setKernelMode yet';
}
if (!controls.threads && wanted('nerve-2t')) {
  skipped['nerve-2t'] = '@nerve/backend-cpu exports no setThreads yet';
}
for (const [id, why] of Object.entries(skipped)) console.log(`  ${id.padEnd(13)} skipped: ${why}`);
hellos.forEach((h, i) => {
  const { id } = started[i].column;
  if (h.type === 'hello') {
    procs.push(started[i]);
    info[id] = h.info;
    console.log(`  ${id.padEnd(13)} ${h.info}`);
  } else {
    skipped[id] = h.type === 'skip' ? h.reason : h.type === 'error' ? h.message : h.type;
    console.log(`  ${id.padEnd(13)} skipped: ${skipped[id]}`);
    started[i].close();
  }
});
const columns = procs.map((p) => p.column.id);
// nerve-relaxed is the backend's default (best) single-thread mode where it is supported.
const preferred = ['nerve', 'nerve-relaxed', 'nerve-simd', 'nerve-scalar', 'nerve-2t'];
const base = flag('base') ?? preferred.find((c) => columns.includes(c));

const results: Results = {};
/** CPU ms per step by workload and column, where the column reports CPU time (the ms/step lines). */
const cpuMs: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < rounds; round++) {
  for (const w of workloads) {
    // Rotate the order every round so no column always runs right after the same neighbour.
    const order = procs.map((_, i) => procs[(i + round) % procs.length]);
    for (const p of order) {
      const id = p.column.id;
      const cell = ((results[w.name] ??= {})[id] ??= { values: [] });
      if (cell.error) continue; // a failing cell fails every round; don't pay for it again
      const r = await p.run(w, seconds, timeoutS);
      if (r.type === 'result') {
        cell.values.push(r.value);
        if (r.cpuSeconds !== undefined && r.steps > 0) {
          ((cpuMs[w.name] ??= {})[id] ??= []).push((1000 * r.cpuSeconds) / r.steps);
        }
        cell.unit = r.unit;
        cell.check ??= r.check;
      } else {
        cell.error = r.type === 'error' ? r.message : `unexpected reply '${r.type}'`;
      }
    }
    const line = columns.map((c) => {
      const cell = results[w.name][c];
      return `${c} ${cell.values.length ? cell.values.at(-1)?.toFixed(2) : 'n/a'}`;
    });
    console.log(`round ${round + 1}/${rounds} ${w.name}: ${line.join(', ')}`);
  }
}
for (const p of procs) p.close();

const loadAfter = load();
console.log(`\nload average before ${loadBefore}, after ${loadAfter}\n`);
console.log(formatTables(workloads, columns, base, results));
if (columns.includes('nerve-page')) {
  // The page next to Node as ms per step (issue 16's digits target: ≤ 0.4 ms in both),
  // wall and CPU time (Node: the column's process; the page: the browser's processes).
  for (const w of workloads.filter((x) => x.kind !== 'matmul')) {
    const ms = (id: string) => {
      const v = results[w.name]?.[id]?.values ?? [];
      const c = cpuMs[w.name]?.[id] ?? [];
      const cpu = c.length ? ` (${median(c).toFixed(3)} ms CPU)` : '';
      return v.length ? `${id} ${(1000 / median(v)).toFixed(3)} ms/step${cpu}` : null;
    };
    const cells = columns
      .filter((c) => c.startsWith('nerve'))
      .map(ms)
      .filter(Boolean);
    console.log(`${w.name}: ${cells.join(', ')}`);
  }
}
for (const [id, why] of Object.entries(skipped)) console.log(`skipped ${id}: ${why}`);

if (jsonPath) {
  const report = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    loadAverage: { before: loadBefore, after: loadAfter },
    settings: { rounds, seconds, workloads: workloads.map((w) => w.name), base },
    columns: Object.fromEntries([
      ...Object.entries(info).map(([id, i]) => [id, { info: i }]),
      ...Object.entries(skipped).map(([id, s]) => [id, { skipped: s }]),
    ]),
    results: Object.fromEntries(
      workloads.map((w) => [
        w.name,
        {
          label: w.label,
          cells: Object.fromEntries(
            Object.entries(results[w.name] ?? {}).map(([c, r]) => [
              c,
              { ...r, median: r.values.length ? median(r.values) : null },
            ]),
          ),
        },
      ]),
    ),
  };
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${jsonPath}`);
}
process.exit(0);
