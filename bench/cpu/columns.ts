/**
 * The library columns of `pnpm bench:cpu` and the child process that serves
 * each one (one process per column, kept for the whole run so every library
 * keeps its warmed-up state between rounds).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Reply, TAG } from './child.js';
import type { Workload } from './workloads.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Debian's interpreter with python3-torch; the pyenv python3 on PATH has no torch. */
export const PYTHON = '/usr/bin/python3';

/** One library configuration, run in its own process. */
export interface Column {
  id: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** nerve's kernel controls, present once the SIMD kernels and the thread pool land. */
export interface NerveControls {
  modes: boolean;
  threads: boolean;
}

/**
 * Probes @nerve/backend-cpu for setKernelMode / setThreads without running
 * anything. If it fails to load, the nerve column's own process reports why.
 */
export async function probeNerve(): Promise<NerveControls> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('@nerve/backend-cpu')) as Record<string, unknown>;
  } catch {
    return { modes: false, threads: false };
  }
  return {
    modes: typeof mod.setKernelMode === 'function',
    threads: typeof mod.setThreads === 'function',
  };
}

/**
 * Every column's environment: glibc's malloc keeps freed blocks up to 64 MiB
 * for reuse instead of unmapping them. By default glibc maps each block over
 * 128 KiB–32 MiB freshly (mmap) and unmaps it when freed, so a cell that
 * allocates a fresh 4 MB result every step (the matmul 1024³ cells: nerve's,
 * tfjs' and jax's dataSync, torch's output) pays ~1,000 page faults for it:
 * 8–19 ms on this VM, about a quarter of nerve's 1024³ product (issue 16,
 * docs/performance.md). That is the allocator and the VM, not the library
 * under test, so every column runs without it. A GLIBC_TUNABLES already set
 * is kept; other platforms ignore the variable.
 */
const MALLOC_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GLIBC_TUNABLES:
    process.env.GLIBC_TUNABLES ??
    'glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456',
};

/**
 * Every column this build can run, in table order; `page` adds nerve-page
 * (Chromium, nerve-page.ts), which is left out by default: it starts a browser.
 */
export function allColumns(nerve: NerveControls, opts: { page?: boolean } = {}): Column[] {
  // Children load TypeScript through tsx, with the workspace packages' source condition.
  const node = (file: string, ...args: string[]): Pick<Column, 'command' | 'args' | 'env'> => ({
    env: MALLOC_ENV,
    command: process.execPath,
    args: [
      '--import',
      import.meta.resolve('tsx'),
      '--conditions=@nerve/source',
      path.join(here, file),
      ...args,
    ],
  });
  const cols: Column[] = [];
  const one = nerve.threads ? ['--threads', '1'] : [];
  if (nerve.modes) {
    for (const mode of ['scalar', 'simd', 'relaxed']) {
      cols.push({ id: `nerve-${mode}`, ...node('nerve.ts', '--mode', mode, ...one) });
    }
  } else {
    cols.push({ id: 'nerve', ...node('nerve.ts', ...one) });
  }
  if (nerve.threads) cols.push({ id: 'nerve-2t', ...node('nerve.ts', '--threads', '2') });
  if (opts.page) cols.push({ id: 'nerve-page', ...node('nerve-page.ts') });
  cols.push({ id: 'tfjs-cpu', ...node('tfjs.ts', '--backend', 'cpu') });
  cols.push({ id: 'tfjs-wasm', ...node('tfjs.ts', '--backend', 'wasm') });
  cols.push({ id: 'jax-wasm', ...node('jax.ts') });
  // OpenBLAS tuning variables set for other work on this machine must not steer torch's BLAS.
  const env = { ...MALLOC_ENV };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  for (const t of [1, 2]) {
    cols.push({
      id: `torch-${t}t`,
      command: PYTHON,
      args: [path.join(here, 'torch_cpu.py'), '--threads', String(t)],
      // torch.set_num_threads does not reach a BLAS it only knows as libblas.so.3
      // (Debian's alternatives): OpenBLAS's pthreads take their count from here.
      env: { ...env, OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t) },
    });
  }
  return cols;
}

/** A running column: sends requests, reads the tagged reply lines. */
export class ColumnProcess {
  readonly column: Column;
  private readonly proc: ChildProcess;
  private readonly inbox: Reply[] = [];
  private readonly waiting: ((r: Reply) => void)[] = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(column: Column) {
    this.column = column;
    this.proc = spawn(column.command, column.args, {
      env: column.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith(TAG)) this.deliver(JSON.parse(line.slice(TAG.length)) as Reply);
    });
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    const fail = (why: string) => {
      this.exited ??= why;
      while (this.waiting.length > 0) this.next({ type: 'error', workload: '', message: why });
    };
    this.proc.on('error', (e) => fail(`cannot start ${column.command}: ${e.message}`));
    this.proc.on('exit', (code, signal) => {
      const tail = this.stderr.trim().split('\n').slice(-1)[0] ?? '';
      fail(`process exited (${signal ?? code})${tail ? `: ${tail}` : ''}`);
    });
  }

  private deliver(r: Reply): void {
    const w = this.waiting.shift();
    if (w) w(r);
    else this.inbox.push(r);
  }

  private next(r: Reply): void {
    this.waiting.shift()?.(r);
  }

  /** The next reply, or an error reply once the process is gone. */
  receive(timeoutS = 600): Promise<Reply> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exited) return Promise.resolve({ type: 'error', workload: '', message: this.exited });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.proc.kill();
        resolve({ type: 'error', workload: '', message: `no reply in ${timeoutS} s; stopped` });
      }, timeoutS * 1000);
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  /** Runs one cell for about `seconds` and returns the child's reply. */
  run(workload: Workload, seconds: number, timeoutS?: number): Promise<Reply> {
    if (this.exited) return this.receive();
    this.proc.stdin?.write(`${JSON.stringify({ workload, seconds })}\n`);
    return this.receive(timeoutS);
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /** Closes stdin: the child finishes and exits. */
  close(): void {
    this.proc.stdin?.end();
  }
}
