/**
 * `pnpm bench:resnet`: ResNet-18 forward + backward at 224×224, batch 8
 * (issue 14), nerve's CPU backend beside PyTorch on the CPU in the same run,
 * and nerve on WebGPU when a hardware adapter exists. One process per
 * column; each round runs one step on every column in turn (the order
 * rotates), so the columns never compete for the cores. Prints the median
 * seconds per step, the ratio and each column's peak memory.
 *   pnpm bench:resnet [-- --rounds 5 --only nerve-cpu,torch --json out.json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { median } from '../cpu/report.js';
import { type Memory, type Reply, type Request, SETUP, TAG } from './protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

const USAGE = `usage: pnpm bench:resnet [-- options]
  --rounds N      rounds of one step per column; the table shows medians (default 5)
  --only <list>   columns to run: nerve-cpu, nerve-webgpu, torch (default all)
  --timeout S     give up on a column after S seconds without a reply (default 900)
  --json <file>   also write every step time, the memory and the load average as JSON`;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) usageError(`--${name} needs a value`);
  return v;
}

function usageError(message: string): never {
  console.error(`bench:resnet: ${message}\n${USAGE}`);
  process.exit(2);
}

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const rounds = Number(flag('rounds') ?? 5);
if (!Number.isInteger(rounds) || rounds < 1) usageError(`--rounds: expected a positive integer`);
const timeoutS = Number(flag('timeout') ?? 900);
if (!(timeoutS > 0)) usageError('--timeout: expected a positive number');
const only = flag('only')
  ?.split(',')
  .map((s) => s.trim());
const jsonPath = flag('json');

/** nerve's CPU backend uses every core by default (os.availableParallelism()); PyTorch gets the same. */
const threads = os.availableParallelism?.() ?? os.cpus().length;

const node = (file: string, ...args: string[]) => ({
  command: process.execPath,
  args: [
    '--import',
    import.meta.resolve('tsx'),
    '--conditions=@nerve/source',
    path.join(here, file),
    ...args,
  ],
});
// OpenBLAS tuning variables set for other work on this machine must not steer torch's BLAS (as bench/cpu).
const torchEnv: NodeJS.ProcessEnv = {
  ...process.env,
  OPENBLAS_NUM_THREADS: String(threads),
  OMP_NUM_THREADS: String(threads),
};
delete torchEnv.OPENBLAS_CORETYPE;
delete torchEnv.OPENBLAS_L2_SIZE;
const ALL = [
  { id: 'nerve-cpu', ...node('nerve.ts', '--backend', 'cpu') },
  {
    id: 'torch',
    command: PYTHON,
    args: [
      path.join(here, 'torch_resnet.py'),
      '--threads',
      String(threads),
      '--setup',
      JSON.stringify(SETUP),
    ],
    env: torchEnv,
  },
  { id: 'nerve-webgpu', ...node('nerve.ts', '--backend', 'webgpu') },
];
const columns = ALL.filter((c) => !only || only.includes(c.id));
if (columns.length === 0)
  usageError(`--only ${only?.join(',')} matches no column (${ALL.map((c) => c.id).join(', ')})`);

/** One column's process: requests on stdin, tagged JSON replies on stdout. */
class Child {
  private readonly proc: ChildProcess;
  private readonly inbox: Reply[] = [];
  private readonly waiting: ((r: Reply) => void)[] = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(c: { command: string; args: string[]; env?: NodeJS.ProcessEnv }) {
    this.proc = spawn(c.command, c.args, { env: c.env ?? process.env, stdio: 'pipe' });
    createInterface({ input: this.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith(TAG)) return;
      const r = JSON.parse(line.slice(TAG.length)) as Reply;
      const w = this.waiting.shift();
      if (w) w(r);
      else this.inbox.push(r);
    });
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    const fail = (why: string) => {
      this.exited ??= why;
      for (const w of this.waiting.splice(0)) w({ type: 'error', message: why });
    };
    this.proc.on('error', (e) => fail(`cannot start ${c.command}: ${e.message}`));
    this.proc.on('exit', (code, signal) => {
      const tail = this.stderr.trim().split('\n').slice(-1)[0] ?? '';
      fail(`process exited (${signal ?? code})${tail ? `: ${tail}` : ''}`);
    });
  }

  /** The next reply, or an error once the process is gone or silent for `timeoutS`. */
  receive(): Promise<Reply> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve({ type: 'error', message: this.exited });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.proc.kill();
        resolve({ type: 'error', message: `no reply in ${timeoutS} s; stopped` });
      }, timeoutS * 1000);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  ask(req: Request): Promise<Reply> {
    if (!this.exited) this.proc.stdin?.write(`${JSON.stringify(req)}\n`);
    return this.receive();
  }

  /** Closes stdin: the child exits. */
  close(): void {
    this.proc.stdin?.end();
  }
}
type Proc = { id: string; p: Child };

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();
const { batch, size, classes } = SETUP;
console.log(
  `bench:resnet — ResNet-18 forward + backward, batch ${batch}, ${size}×${size}, ${classes} classes, training mode`,
);
console.log(
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${threads} threads for each library, load average ${loadBefore}`,
);
console.log(`${rounds} rounds of one step per column, after one warm-up step each`);

// Start every column at once (imports and model building), then keep the ones that answer.
const started: Proc[] = columns.map((c) => ({ id: c.id, p: new Child(c) }));
const hellos = await Promise.all(started.map((s) => s.p.receive()));
const procs: Proc[] = [];
const info: Record<string, { info: string; params: number; firstLoss: number }> = {};
const skipped: Record<string, string> = {};
hellos.forEach((h, i) => {
  const { id, p } = started[i];
  if (h.type === 'hello') {
    procs.push(started[i]);
    info[id] = { info: h.info, params: h.params, firstLoss: h.firstLoss };
    console.log(`  ${id.padEnd(13)} ${h.info}; ${h.params} parameters; first loss ${h.firstLoss}`);
  } else {
    skipped[id] = h.type === 'skip' ? h.reason : h.type === 'error' ? h.message : h.type;
    console.log(`  ${id.padEnd(13)} skipped: ${skipped[id]}`);
    p.close();
  }
});

const times: Record<string, number[]> = Object.fromEntries(procs.map((p) => [p.id, []]));
const errors: Record<string, string> = {};
for (let round = 0; round < rounds; round++) {
  const order = procs.map((_, i) => procs[(i + round) % procs.length]);
  for (const proc of order) {
    if (errors[proc.id]) continue;
    const r = await proc.p.ask({ cmd: 'steps', n: 1 });
    if (r.type === 'steps') times[proc.id].push(...r.seconds);
    else errors[proc.id] = r.type === 'error' ? r.message : `unexpected reply '${r.type}'`;
  }
  console.log(
    `round ${round + 1}/${rounds}: ${procs.map((p) => `${p.id} ${times[p.id].at(-1)?.toFixed(2) ?? 'n/a'} s`).join(', ')}`,
  );
}
const memory: Record<string, Memory> = {};
for (const proc of procs) {
  if (errors[proc.id]) continue;
  const r = await proc.p.ask({ cmd: 'peak' });
  if (r.type === 'peak') memory[proc.id] = r.memory;
  else errors[proc.id] = r.type === 'error' ? r.message : `unexpected reply '${r.type}'`;
}
for (const proc of procs) proc.p.close();
const loadAfter = load();

const mib = (b: number | undefined) => (b === undefined ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const med = (id: string) => (times[id]?.length ? median(times[id]) : undefined);
const base = med('torch');
console.log(`\nload average before ${loadBefore}, after ${loadAfter}\n`);
console.log(
  '| column | median s/step (min–max) | images/s | s/step ÷ torch | peak tensors | cached for reuse | RSS before → max |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const proc of procs) {
  const t = times[proc.id];
  const m = med(proc.id);
  const mem = memory[proc.id];
  if (m === undefined) {
    console.log(`| ${proc.id} | ${errors[proc.id] ?? 'no steps'} | | | | | |`);
    continue;
  }
  console.log(
    `| ${proc.id} | ${m.toFixed(2)} (${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)}) | ${(batch / m).toFixed(2)} | ${
      base ? (m / base).toFixed(2) : '—'
    } | ${mib(mem?.peakTensorBytes)} | ${mib(mem?.cachedBytes)} | ${mib(mem?.rssBefore)} → ${mib(mem?.maxRss)} |`,
  );
}
for (const [id, why] of Object.entries(errors)) console.log(`error ${id}: ${why}`);
for (const [id, why] of Object.entries(skipped)) console.log(`skipped ${id}: ${why}`);
// Same weights, data and labels everywhere: the first losses must agree (float32 sums over 8 × 1000 logits).
const losses = Object.entries(info).map(([id, i]) => [id, i.firstLoss] as const);
if (losses.length > 1) {
  const ref = losses[0][1];
  const ok = losses.every(([, l]) => Math.abs(l - ref) <= 1e-3 * Math.abs(ref));
  console.log(
    `first-step losses ${ok ? 'agree' : 'DIFFER'} (relative 1e-3): ${losses.map(([id, l]) => `${id} ${l.toFixed(6)}`).join(', ')}`,
  );
}

if (jsonPath) {
  writeFileSync(
    jsonPath,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        setup: SETUP,
        threads,
        loadAverage: { before: loadBefore, after: loadAfter },
        columns: info,
        skipped,
        errors,
        seconds: times,
        medians: Object.fromEntries(procs.map((p) => [p.id, med(p.id) ?? null])),
        memory,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${jsonPath}`);
}
process.exit(0);
