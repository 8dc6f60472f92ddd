/**
 * nerve's PostgreSQL study storage side by side with Optuna's RDB storage,
 * against the same throwaway PostgreSQL server (the tests' cluster helper):
 *
 * - trials/s with 1, 2, 4 and 8 worker processes, process start included:
 *   the clock runs from spawning the processes to the last one's exit;
 * - the storage overhead per trial: the time a 1-worker process spends in
 *   runStudyWorker / study.optimize divided by the trials, and the process
 *   start (everything before that call: runtime, imports, connecting);
 * - the CPU time each run costs, its worker processes (reaped children of
 *   this process) and the server (the postmaster, its reaped backends and
 *   live children, from /proc): on a shared machine the wall clock mostly
 *   measures the share of the cores a run got, the CPU time does not;
 * - a 4-worker run with heartbeats on for both (interval 5 s, grace 10 s:
 *   Optuna's default grace is 2 × the interval), counting lost, repeated and
 *   failed trials and crashed workers.
 *
 * Same study for both: a trivial objective (one float parameter, one
 * intermediate report per trial, the value returned), random sampling,
 * TRIALS trials (default 400) shared by the workers of one study. nerve's
 * workers share one queue of trials; Optuna's each run TRIALS / N
 * (`study.optimize(n_trials=…)` in N Python processes joining one study,
 * created beforehand outside the clock, as Optuna's docs for distributed
 * runs do with `optuna create-study`). Runs are interleaved (nerve, Optuna,
 * then Optuna, nerve in the next repeat) and each configuration is repeated
 * REPEATS times (default 2); medians and nerve/Optuna ratios are printed.
 *
 * nerve's worker (nerve-worker.ts) is bundled with esbuild first, as a user's
 * script importing the built @nerve/tune runs; one extra 1-worker row starts
 * the TypeScript sources through tsx to show what that loader costs.
 * Optuna is Debian's python3-optuna (3.1) with psycopg2, run by /usr/bin/python3.
 *
 *   pnpm bench:tune-storage [TRIALS] [REPEATS] [WORKERS, e.g. 1,2,4,8] [heartbeat repeats]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { startCluster } from '../../test/helpers/pg-cluster.js';

const trials = Number(process.argv[2] ?? 400);
const repeats = Number(process.argv[3] ?? 2);
const WORKERS = (process.argv[4] ?? '1,2,4,8')
  .split(',')
  .filter((w) => w !== 'none')
  .map(Number);
const PYTHON = '/usr/bin/python3';
const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const requirePg = createRequire(join(root, 'packages', 'tune', 'package.json'));
/** The part of node-postgres used here (pg is packages/tune's dependency, not the root's). */
interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}
const pg = requirePg('pg') as { Client: new (o: { connectionString: string }) => PgClient };

for (const n of WORKERS) {
  if (trials % n !== 0) throw new Error(`TRIALS (${trials}) must be a multiple of ${n}`);
}
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** One worker process's JSON line. */
interface WorkerLine {
  ran: number[];
  studyMs?: number;
  crash?: string;
}

/** How one run of N worker processes went. */
interface Run {
  seconds: number;
  /** Per process: its ran ids, time inside the study call, exit code. */
  workers: { line: WorkerLine | null; code: number | null; output: string; wallMs: number }[];
  /** CPU seconds of the worker processes (reaped children of this one) and of the server. */
  workerCpu: number;
  serverCpu: number;
}

/**
 * nerve's worker processes run without NODE_EXTRA_CA_CERTS. Machines behind an
 * HTTPS proxy (these development machines) set it, and Node 20 reads and parses
 * that certificate bundle at every process start, before any of the script
 * runs: an empty script takes 106 ms of CPU with it and 70 without here, a cost of
 * the machine, not of a study (the workers reach PostgreSQL without TLS, and
 * Python's start reads no such variable). NERVE_BENCH_KEEP_CA=1 keeps it.
 */
const keepCa = process.env.NERVE_BENCH_KEEP_CA === '1';
const nodeEnv = { ...process.env };
if (!keepCa) delete nodeEnv.NODE_EXTRA_CA_CERTS;

function startProcess(cmd: string, args: string[]) {
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cmd === process.execPath ? nodeEnv : process.env,
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return new Promise<Run['workers'][number]>((resolve) =>
    child.on('exit', (code) => {
      const last = output
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"ran"'));
      resolve({
        line: last ? (JSON.parse(last) as WorkerLine) : null,
        code,
        output,
        wallMs: performance.now() - t0,
      });
    }),
  );
}

/** utime, stime, cutime, cstime of a process, in seconds (see proc(5)). */
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function procStat(pid: number | 'self'): { ppid: number; cpu: number; children: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(f[1]),
    cpu: (Number(f[11]) + Number(f[12])) / TICK,
    children: (Number(f[13]) + Number(f[14])) / TICK,
  };
}

let postmaster = 0;
/** CPU seconds the server used so far: the postmaster, its reaped backends and its live children. */
function serverCpu(): number {
  const pm = procStat(postmaster);
  if (!pm) return Number.NaN;
  let cpu = pm.cpu + pm.children;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (st?.ppid === postmaster) cpu += st.cpu;
  }
  return cpu;
}

async function runProcesses(n: number, argv: (i: number) => [string, string[]]): Promise<Run> {
  const mine0 = procStat('self')?.children ?? Number.NaN;
  const server0 = serverCpu();
  const t0 = performance.now();
  const workers = await Promise.all(Array.from({ length: n }, (_, i) => startProcess(...argv(i))));
  const seconds = (performance.now() - t0) / 1000;
  // Backends exit once their client has gone; give the postmaster a moment to reap them.
  await new Promise((r) => setTimeout(r, 200));
  return {
    seconds,
    workers,
    workerCpu: (procStat('self')?.children ?? Number.NaN) - mine0,
    serverCpu: serverCpu() - server0,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'nerve-tune-bench-'));
const cluster = await startCluster();
const nerveUrl = cluster.url();
const optunaUrl = `postgresql+psycopg2://nerve@127.0.0.1:${cluster.port}/optuna_bench`;
let studyNo = 0;

async function sql<R extends object>(database: string, text: string, values: unknown[] = []) {
  const c = new pg.Client({ connectionString: cluster.url(database) });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as R[];
  } finally {
    await c.end();
  }
}

/** What a finished run left in the database, and what its workers said. */
interface Tally {
  seconds: number;
  complete: number;
  failed: number;
  lost: number;
  repeated: number;
  crashed: number;
  /** 1-worker runs: ms per trial inside the study call, and ms before it. */
  perTrialMs: number;
  startMs: number;
  /** CPU ms per trial: worker processes (start included) and the server. */
  workerCpuMs: number;
  serverCpuMs: number;
}

function tally(run: Run, states: Record<string, number>): Tally {
  const ids = run.workers.flatMap((w) => w.line?.ran ?? []);
  const complete = states.complete ?? 0;
  const w0 = run.workers[0];
  const studyMs = w0.line?.studyMs ?? Number.NaN;
  return {
    seconds: run.seconds,
    complete,
    failed: states.failed ?? 0,
    lost: trials - complete,
    repeated: ids.length - new Set(ids).size,
    crashed: run.workers.filter((w) => w.code !== 0).length,
    perTrialMs: studyMs / trials,
    startMs: w0.wallMs - studyMs,
    workerCpuMs: (run.workerCpu / trials) * 1000,
    serverCpuMs: (run.serverCpu / trials) * 1000,
  };
}

const nerveEntry = join(dir, 'nerve-worker.mjs');
await build({
  entryPoints: [join(here, 'nerve-worker.ts')],
  outfile: nerveEntry,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@nerve/source'],
  external: ['pg-native', 'webgpu'],
  banner: {
    js: "import { createRequire as __nerveRequire } from 'node:module'; const require = __nerveRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

async function nerve(n: number, heartbeatS = 0, viaTsx = false): Promise<Tally> {
  const study = `s${++studyNo}`;
  const args = [nerveUrl, study, String(trials), String(heartbeatS)];
  const run = await runProcesses(n, () => [
    process.execPath,
    viaTsx
      ? ['--import', tsx, '--conditions=@nerve/source', join(here, 'nerve-worker.ts'), ...args]
      : [nerveEntry, ...args],
  ]);
  const rows = await sql<{ state: string; n: number }>(
    'nerve_test',
    `SELECT t.state, count(*)::int AS n FROM nerve_tune.trials t
       JOIN nerve_tune.studies s ON s.id = t.study_id WHERE s.name = $1 GROUP BY t.state`,
    [study],
  );
  return check('nerve', run, Object.fromEntries(rows.map((r) => [r.state, r.n])));
}

async function optuna(n: number, heartbeatS = 0): Promise<Tally> {
  const study = `s${++studyNo}`;
  const made = spawnSync(PYTHON, [
    '-c',
    `import optuna, sys; optuna.logging.set_verbosity(optuna.logging.WARNING); optuna.create_study(study_name=sys.argv[2], storage=sys.argv[1])`,
    optunaUrl,
    study,
  ]);
  if (made.status !== 0) throw new Error(`optuna create_study: ${made.stderr}`);
  const run = await runProcesses(n, () => [
    PYTHON,
    [join(here, 'optuna_worker.py'), optunaUrl, study, String(trials / n), String(heartbeatS)],
  ]);
  const rows = await sql<{ state: string; n: number }>(
    'optuna_bench',
    `SELECT t.state::text AS state, count(*)::int AS n FROM trials t
       JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = $1 GROUP BY t.state`,
    [study],
  );
  // Optuna's states: COMPLETE, FAIL, PRUNED, RUNNING, WAITING.
  const name = (s: string) => (s === 'FAIL' ? 'failed' : s.toLowerCase());
  return check('Optuna', run, Object.fromEntries(rows.map((r) => [name(r.state), r.n])));
}

/** Tallies a run; a crash or a lost trial is printed (the heartbeat run counts them, others must have none). */
function check(who: string, run: Run, states: Record<string, number>): Tally {
  const t = tally(run, states);
  for (const w of run.workers) {
    if (w.code !== 0) {
      const why = w.line?.crash ?? w.output.trim().split('\n').slice(-1)[0];
      console.log(`  ${who}: a worker exited with ${w.code}: ${why}`);
    }
  }
  return t;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x: number, d = 0) => x.toFixed(d);

try {
  await sql('nerve_test', 'CREATE DATABASE optuna_bench');
  const [bg] = await sql<{ pid: number }>(
    'nerve_test',
    `SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`,
  );
  postmaster = procStat(bg.pid)?.ppid ?? 0;
  // Warm-up, outside the clock: each side creates its schema and the OS caches its files.
  await nerve(1);
  await optuna(1);
  console.log(
    `${trials} trials per study, ${repeats} repeats, trivial objective; load average ${load()}`,
  );
  if (process.env.NODE_EXTRA_CA_CERTS) {
    console.log(
      keepCa
        ? 'NODE_EXTRA_CA_CERTS is set and kept for the Node workers (NERVE_BENCH_KEEP_CA=1)'
        : 'NODE_EXTRA_CA_CERTS is set here and left out of the Node workers (NERVE_BENCH_KEEP_CA=1 keeps it)',
    );
  }
  const rows = new Map<string, { nerve: Tally[]; optuna: Tally[] }>();
  for (let r = 0; r < repeats; r++) {
    for (const n of WORKERS) {
      const row = rows.get(String(n)) ?? { nerve: [], optuna: [] };
      rows.set(String(n), row);
      if (r % 2 === 0) {
        row.nerve.push(await nerve(n));
        row.optuna.push(await optuna(n));
      } else {
        row.optuna.push(await optuna(n));
        row.nerve.push(await nerve(n));
      }
      const a = row.nerve[row.nerve.length - 1];
      const b = row.optuna[row.optuna.length - 1];
      console.log(
        `  repeat ${r + 1}, ${n} worker(s): nerve ${f(trials / a.seconds)} trials/s, Optuna ${f(trials / b.seconds)} trials/s (load ${load()})`,
      );
    }
  }
  const tsxRuns: Tally[] = [];
  for (let r = 0; r < repeats; r++) tsxRuns.push(await nerve(1, 0, true));

  const rate = (ts: Tally[]) => median(ts.map((t) => trials / t.seconds));
  console.log(`\ntrials/s, process start included (median of ${repeats}; load ${load()}):`);
  console.log('| worker processes | nerve | Optuna | nerve / Optuna |');
  console.log('| --- | --- | --- | --- |');
  for (const n of WORKERS) {
    const row = rows.get(String(n));
    if (!row) continue;
    const a = rate(row.nerve);
    const b = rate(row.optuna);
    console.log(`| ${n} | ${f(a)} | ${f(b)} | ${f(a / b, 1)}× |`);
  }
  console.log(`| 1, nerve's sources through tsx | ${f(rate(tsxRuns))} | | |`);

  // On a shared, loaded machine the wall clock measures the share of the CPUs a run got; the
  // CPU time a run costs (its worker processes and the server) does not depend on that share.
  const cpu = (ts: Tally[]) => median(ts.map((t) => t.workerCpuMs + t.serverCpuMs));
  const part = (ts: Tally[], k: 'workerCpuMs' | 'serverCpuMs') => f(median(ts.map((t) => t[k])), 2);
  console.log('\nCPU ms per trial, worker processes (start included) + server, median:');
  console.log(
    '| worker processes | nerve (workers + server) | Optuna (workers + server) | Optuna / nerve |',
  );
  console.log('| --- | --- | --- | --- |');
  for (const n of WORKERS) {
    const row = rows.get(String(n));
    if (!row) continue;
    console.log(
      `| ${n} | ${f(cpu(row.nerve), 2)} (${part(row.nerve, 'workerCpuMs')} + ${part(row.nerve, 'serverCpuMs')}) | ${f(cpu(row.optuna), 2)} (${part(row.optuna, 'workerCpuMs')} + ${part(row.optuna, 'serverCpuMs')}) | ${f(cpu(row.optuna) / cpu(row.nerve), 1)}× |`,
    );
  }

  const one = rows.get('1');
  if (one) {
    const m = (ts: Tally[], k: 'perTrialMs' | 'startMs') => median(ts.map((t) => t[k]));
    console.log('\nOne worker process, median:');
    console.log('| | nerve | Optuna | nerve (tsx) |');
    console.log('| --- | --- | --- | --- |');
    console.log(
      `| storage overhead per trial (ms) | ${f(m(one.nerve, 'perTrialMs'), 2)} | ${f(m(one.optuna, 'perTrialMs'), 2)} | ${f(m(tsxRuns, 'perTrialMs'), 2)} |`,
    );
    console.log(
      `| process start (ms) | ${f(m(one.nerve, 'startMs'))} | ${f(m(one.optuna, 'startMs'))} | ${f(m(tsxRuns, 'startMs'))} |`,
    );
  }

  console.log(`\n4 worker processes, heartbeats every 5 s (grace 10 s), ${trials} trials:`);
  console.log(
    '| | trials/s | complete | lost | repeated | failed | workers crashed | load average |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (let r = 0; r < Number(process.argv[5] ?? repeats); r++) {
    for (const [who, t] of [
      ['nerve', await nerve(4, 5)],
      ['Optuna', await optuna(4, 5)],
    ] as const) {
      console.log(
        `| ${who} | ${f(trials / t.seconds)} | ${t.complete} | ${t.lost} | ${t.repeated} | ${t.failed} | ${t.crashed} of 4 | ${load()} |`,
      );
    }
  }
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
