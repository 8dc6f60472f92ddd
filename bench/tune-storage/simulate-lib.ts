/**
 * The scale simulation's machinery (bench/tune-storage/simulate.ts prints the
 * table; packages/tune/test/scale-simulation.test.ts keeps it runnable).
 *
 * N simulated workers run in this process, each its own PostgresStudyStorage
 * (its own connection pool, as a worker process has), through the real
 * worker loop, runStudyWorker: claim, heartbeat, report, finish, and the idle
 * polling at the end of the study. A thin wrapper around each storage times
 * the claims and heartbeats; a monitor connection samples the server's
 * connections, and /proc gives the server's CPU time.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClaimedTrial,
  type Metrics,
  type OpenedStudy,
  PostgresStudyStorage,
  type Reporter,
  type RungOutcome,
  type StoredStudy,
  type StoredTrial,
  type StudyDefinition,
  type StudyStorage,
  type StudyWorkerOptions,
  type TrialRecord,
  randomSearch,
  runStudyWorker,
  space,
  studyDefinition,
  uniform,
} from '@nerve/tune';
import pg from 'pg';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Claims and heartbeats of one simulated worker, timed. */
class TimedStorage implements StudyStorage {
  readonly claimMs: number[] = [];
  readonly emptyClaimMs: number[] = [];
  readonly beatMs: number[] = [];
  /** Heartbeats that updated the trial (a beat in flight as the trial finishes finds it no longer running). */
  beatsOk = 0;
  readonly claimedIds: number[] = [];
  firstClaimAt = Number.POSITIVE_INFINITY;
  lastFinishAt = 0;

  constructor(private readonly s: StudyStorage) {}
  get location(): string {
    return this.s.location;
  }
  openMs = 0;
  async openStudy(def: StudyDefinition): Promise<OpenedStudy> {
    const t0 = performance.now();
    const o = await this.s.openStudy(def);
    this.openMs = performance.now() - t0;
    return o;
  }
  readStudy(name: string): Promise<StoredStudy | null> {
    return this.s.readStudy(name);
  }
  async claim(worker: string, opts?: { below?: number }): Promise<ClaimedTrial | null> {
    const t0 = performance.now();
    this.firstClaimAt = Math.min(this.firstClaimAt, t0);
    const c = await this.s.claim(worker, opts);
    (c ? this.claimMs : this.emptyClaimMs).push(performance.now() - t0);
    if (c) this.claimedIds.push(c.id);
    return c;
  }
  async heartbeat(id: number, worker: string): Promise<boolean> {
    const t0 = performance.now();
    const ok = await this.s.heartbeat(id, worker);
    this.beatMs.push(performance.now() - t0);
    if (ok) this.beatsOk++;
    return ok;
  }
  report(id: number, worker: string, epoch: number, metrics: Metrics): Promise<boolean> {
    return this.s.report(id, worker, epoch, metrics);
  }
  rung(id: number, rung: number, value: number): Promise<RungOutcome> {
    return this.s.rung(id, rung, value);
  }
  async finish(id: number, worker: string, record: TrialRecord): Promise<boolean> {
    const ok = await this.s.finish(id, worker, record);
    this.lastFinishAt = Math.max(this.lastFinishAt, performance.now());
    return ok;
  }
  release(id: number, worker: string): Promise<void> {
    return this.s.release(id, worker);
  }
  requeueStale(graceMs: number): Promise<number[]> {
    return this.s.requeueStale(graceMs);
  }
  trials(): Promise<StoredTrial[]> {
    return this.s.trials();
  }
  unfinished(): Promise<number> {
    return this.s.unfinished();
  }
  queuedAmong(ids: number[]): Promise<number[]> {
    return this.s.queuedAmong(ids);
  }
  close(): Promise<void> {
    return this.s.close();
  }
}

/** The value at quantile `q` (0…1) of `xs` (nearest rank), NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime, stime, cutime, cstime and ppid of a process from /proc, or null when it is gone. */
function procStat(pid: number): { cpu: number; children: number; ppid: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), numbered from field 3.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i - 3]);
    return { ppid: n(4), cpu: n(14) + n(15), children: n(16) + n(17) };
  } catch {
    return null;
  }
}

/**
 * CPU seconds the server has used so far: the postmaster, its live children
 * (one backend per connection, plus the background processes) and the
 * children that already exited (counted in the postmaster's cutime/cstime).
 * Null where /proc cannot be read (not Linux, or another machine).
 */
export function serverCpuSeconds(postmaster: number): number | null {
  const root = procStat(postmaster);
  if (!root) return null;
  let ticks = root.cpu + root.children;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = procStat(Number(name));
    if (p && p.ppid === postmaster) ticks += p.cpu;
  }
  return ticks / CLK_TCK;
}

/** CPU seconds of one process (a pooler), or null. */
export function processCpuSeconds(pid: number): number | null {
  const p = procStat(pid);
  return p ? p.cpu / CLK_TCK : null;
}

/** Private memory (kB, clean and dirty) of a process from /proc, or null. */
function privateKb(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return kb('Private_Clean') + kb('Private_Dirty');
  } catch {
    return null;
  }
}

/** The server's counters that the simulation reads before and after a run. */
interface ServerCounters {
  /** Row updates of nerve_tune.trials, and how many of them were HOT. */
  updates: number;
  hotUpdates: number;
  /** WAL written, bytes, and full-page images. */
  walBytes: number;
  walFpi: number;
}

async function counters(c: pg.Client): Promise<ServerCounters> {
  const t = await c.query<{ upd: string | null; hot: string | null }>(
    `SELECT sum(n_tup_upd) AS upd, sum(n_tup_hot_upd) AS hot FROM pg_stat_user_tables
      WHERE schemaname = 'nerve_tune' AND relname = 'trials'`,
  );
  const w = await c.query<{ b: string; f: string }>(
    'SELECT wal_bytes::text AS b, wal_fpi::text AS f FROM pg_stat_wal',
  );
  return {
    updates: Number(t.rows[0]?.upd ?? 0),
    hotUpdates: Number(t.rows[0]?.hot ?? 0),
    walBytes: Number(w.rows[0].b),
    walFpi: Number(w.rows[0].f),
  };
}

/** One run of the simulation. */
export interface SimulationOptions {
  /** Where the workers connect: the server, or a pooler in front of it. */
  url: string;
  /** The server itself, for the monitor (connection counts, statistics, CPU). */
  serverUrl: string;
  /** Simulated workers, each with its own storage and pool. */
  workers: number;
  /** Trials in the study. */
  trials: number;
  /** How long the objective sleeps before its one report (0: a trivial objective). */
  objectiveMs?: number;
  /** The workers' heartbeat interval (default 5000, runStudyWorker's default). */
  heartbeatMs?: number;
  /**
   * How old a heartbeat may get before its trial is re-queued (default 30000,
   * runStudyWorker's default at 5 s beats, whatever `heartbeatMs` is: a short
   * interval here compresses time, not the grace a real study has).
   */
  graceMs?: number;
  /** How often an idle worker polls (default 250, runStudyWorker's default). */
  pollMs?: number;
  /** Connections each worker's pool may open (default 2, as PostgresStudyStorage). */
  connectionsPerWorker?: number;
  /** The study's name (one database holds many). */
  study: string;
  /** A pooler's pid, to read its CPU time too. */
  poolerPid?: number;
}

/** What one run measured. */
export interface SimulationResult {
  workers: number;
  trials: number;
  /** From the first claim to the last finished trial. */
  seconds: number;
  claimsPerSecond: number;
  claimP50Ms: number;
  claimP99Ms: number;
  /** Claims that found nothing queued (idle polling at the end). */
  emptyClaims: number;
  heartbeats: number;
  /** Heartbeats that updated their trial's row. */
  heartbeatsOk: number;
  heartbeatsPerSecond: number;
  heartbeatP99Ms: number;
  heartbeatMaxMs: number;
  /** Server CPU over the window, in cores (1 = one core busy), or null. */
  serverCores: number | null;
  /** The pooler's CPU over the window, in cores, or null. */
  poolerCores: number | null;
  /** This process's CPU over the window, in cores (all simulated workers). */
  clientCores: number;
  /** Most client connections the server had at once (the monitor's own excluded). */
  serverConnections: number;
  /** The slowest worker's join (openStudy of the existing study), ms. */
  joinMaxMs: number;
  /** Backends waiting on a heavyweight lock, mean and most of the monitor's samples (every 100 ms). */
  lockWaitMean: number;
  lockWaitMax: number;
  /** Wait events (type:event, and the statement's start for lock waits) of the sampled backends, as a mean count per sample, most frequent first. */
  waitEvents: [string, number][];
  /** From the last finished trial to the last worker's return: each worker reads the best trial, worker 0 the whole study (runStudyWorker's result). */
  endReadSeconds: number;
  /** Mean private memory of the workers' server backends after the run (kB), or null. */
  backendPrivateKb: number | null;
  /** Updates of the trials table, how many were HOT, WAL bytes and full-page images, over the whole run. */
  updates: number;
  hotUpdates: number;
  walBytes: number;
  walFpi: number;
  /** Each trial's claim count, by id (every entry 1 when each trial was claimed once). */
  claimsPerTrial: number[];
  /** Ids each worker recorded (runStudyWorker's `ran`). */
  ran: number[][];
  /** Each stored trial's state and attempts at the end. */
  stored: { id: number; state: string; attempts: number }[];
}

/** Runs the simulation once (see the file comment). */
export async function simulate(o: SimulationOptions): Promise<SimulationResult> {
  const objectiveMs = o.objectiveMs ?? 0;
  const sp = space({ x: uniform(0, 1) });
  const base = {
    study: o.study,
    space: sp,
    searcher: randomSearch({ trials: o.trials }),
    seed: 1,
    heartbeatMs: o.heartbeatMs ?? 5000,
    graceMs: o.graceMs ?? 30_000,
    pollMs: o.pollMs ?? 250,
    objective: async (c: { x: number }, r: Reporter) => {
      if (objectiveMs > 0) await sleep(objectiveMs);
      await r.report(1, { valLoss: c.x });
    },
  } as unknown as Omit<StudyWorkerOptions, 'storage' | 'workerId'>;

  const monitor = new pg.Client({ connectionString: o.serverUrl });
  // A server stopped under it (a failed run's cleanup) ends the sampler, not the process.
  monitor.on('error', () => {});
  await monitor.connect();
  const monitorPid = (await monitor.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p;
  const postmaster = procStat(monitorPid)?.ppid ?? 0;

  // The study exists before the workers start, so the window measures claiming, not planning.
  const creator = await PostgresStudyStorage.connect(o.serverUrl, { maxConnections: 1 });
  await creator.openStudy(studyDefinition({ ...base, storage: o.serverUrl } as StudyWorkerOptions));
  await creator.close();

  // Connect in batches: a few hundred connections at once make a storm, not a measurement.
  const storages: TimedStorage[] = [];
  for (let i = 0; i < o.workers; i += 16) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(16, o.workers - i) }, () =>
        PostgresStudyStorage.connect(o.url, { maxConnections: o.connectionsPerWorker ?? 2 }),
      ),
    );
    storages.push(...batch.map((s) => new TimedStorage(s)));
  }

  let serverConnections = 0;
  const lockWaits: number[] = [];
  const waitSamples = new Map<string, number>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await monitor.query<{ n: number; waits: Record<string, number> | null }>(
        `SELECT (SELECT count(*)::int FROM pg_stat_activity
                  WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS n,
                (SELECT json_object_agg(e, k) FROM (
                   SELECT wait_event_type || ':' || wait_event
                          || CASE WHEN wait_event_type = 'Lock'
                                  THEN ' (' || regexp_replace(left(query, 40), 's+', ' ', 'g') || ')'
                                  ELSE '' END AS e,
                          count(*)::int AS k
                     FROM pg_stat_activity
                    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                      AND wait_event IS NOT NULL
                    GROUP BY 1) g) AS waits`,
      );
      serverConnections = Math.max(serverConnections, r.rows[0].n);
      let locked = 0;
      for (const [event, k] of Object.entries(r.rows[0].waits ?? {})) {
        waitSamples.set(event, (waitSamples.get(event) ?? 0) + k);
        if (event.startsWith('Lock:')) locked += k;
      }
      lockWaits.push(locked);
      await sleep(100);
    }
  })();

  // Backends of an earlier run (a pooler's) publish their statistics within a second of going idle.
  await sleep(1200);
  const before = await counters(monitor);
  const server0 = postmaster ? serverCpuSeconds(postmaster) : null;
  const pooler0 = o.poolerPid ? processCpuSeconds(o.poolerPid) : null;
  const client0 = process.cpuUsage();
  let results: Awaited<ReturnType<typeof runStudyWorker>>[];
  let server1: number | null = null;
  let pooler1: number | null = null;
  let client1: NodeJS.CpuUsage = client0;
  let windowEnd = 0;
  let backendPrivateKb: number | null = null;
  let endedAt = 0;
  try {
    // The CPU window closes when the last trial is recorded, before the workers' final reads.
    let finished = 0;
    results = await Promise.all(
      storages.map((s, i) =>
        runStudyWorker({
          ...base,
          storage: s,
          workerId: `sim-${i}`,
          // Worker 0 reads the whole study back (`stored`); the others read the best trial only.
          readTrials: i === 0,
          onTrialEnd: () => {
            if (++finished === o.trials) {
              windowEnd = performance.now();
              server1 = postmaster ? serverCpuSeconds(postmaster) : null;
              pooler1 = o.poolerPid ? processCpuSeconds(o.poolerPid) : null;
              client1 = process.cpuUsage();
            }
          },
        } as StudyWorkerOptions),
      ),
    );
    endedAt = performance.now();
  } finally {
    sampling = false;
    await sampler;
    // Before the workers disconnect: what their backends hold after doing the work.
    const pids = await monitor.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()`,
    );
    const kbs = pids.rows.flatMap((r) => {
      const kb = privateKb(r.pid);
      return kb === null ? [] : [kb];
    });
    backendPrivateKb = kbs.length > 0 ? kbs.reduce((a, b) => a + b, 0) / kbs.length : null;
    await Promise.all(storages.map((s) => s.close()));
  }
  // A backend publishes its statistics as it exits: wait until the workers' are gone.
  for (let i = 0; i < 100; i++) {
    const r = await monitor.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()`,
    );
    if (r.rows[0].n === 0 || o.poolerPid) break;
    await sleep(100);
  }
  await sleep(500);
  const after = await counters(monitor);
  await monitor.end();

  const first = Math.min(...storages.map((s) => s.firstClaimAt));
  const last = Math.max(...storages.map((s) => s.lastFinishAt));
  const seconds = (last - first) / 1000;
  const windowS = ((windowEnd || last) - first) / 1000;
  const claims = storages.flatMap((s) => s.claimMs);
  const beats = storages.flatMap((s) => s.beatMs);
  const claimsPerTrial = Array.from({ length: o.trials }, () => 0);
  for (const s of storages) for (const id of s.claimedIds) claimsPerTrial[id]++;
  const cpu = (a: number | null, b: number | null) =>
    a === null || b === null ? null : (b - a) / windowS;
  return {
    workers: o.workers,
    trials: o.trials,
    seconds,
    claimsPerSecond: claims.length / seconds,
    claimP50Ms: quantile(claims, 0.5),
    claimP99Ms: quantile(claims, 0.99),
    emptyClaims: storages.reduce((a, s) => a + s.emptyClaimMs.length, 0),
    heartbeats: beats.length,
    heartbeatsOk: storages.reduce((a, s) => a + s.beatsOk, 0),
    heartbeatsPerSecond: beats.length / seconds,
    heartbeatP99Ms: quantile(beats, 0.99),
    heartbeatMaxMs: quantile(beats, 1),
    serverCores: cpu(server0, server1),
    poolerCores: cpu(pooler0, pooler1),
    clientCores: (client1.user + client1.system - client0.user - client0.system) / 1e6 / windowS,
    serverConnections,
    joinMaxMs: Math.max(...storages.map((s) => s.openMs)),
    lockWaitMean: lockWaits.reduce((a, b) => a + b, 0) / Math.max(1, lockWaits.length),
    lockWaitMax: Math.max(0, ...lockWaits),
    waitEvents: [...waitSamples]
      .map(([e, k]): [string, number] => [e, k / Math.max(1, lockWaits.length)])
      .sort((a, b) => b[1] - a[1]),
    endReadSeconds: (endedAt - (windowEnd || last)) / 1000,
    backendPrivateKb,
    updates: after.updates - before.updates,
    hotUpdates: after.hotUpdates - before.hotUpdates,
    walBytes: after.walBytes - before.walBytes,
    walFpi: after.walFpi - before.walFpi,
    claimsPerTrial,
    ran: results.map((r) => r.ran),
    stored: (results[0].trials ?? []).map((t) => ({
      id: t.id,
      state: t.state,
      attempts: t.attempts,
    })),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Where pgbouncer is, or null (Debian: apt-get install pgbouncer). */
export function pgbouncerBin(): string | null {
  if (process.env.NERVE_PGBOUNCER) return process.env.NERVE_PGBOUNCER;
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'])
    if (existsSync(p)) return p;
  return null;
}

/** A running pgbouncer. */
export interface Pooler {
  /** The URL workers connect to instead of the server's. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts pgbouncer in transaction mode in front of `serverPort` (database
 * nerve_test, user nerve, trusted): `poolSize` server connections shared by
 * every client. As root it runs as the `postgres` user (pgbouncer refuses
 * root), as the test cluster does.
 */
export async function startPgbouncer(serverPort: number, poolSize: number): Promise<Pooler> {
  const bin = pgbouncerBin();
  if (!bin) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  const dir = mkdtempSync(join(tmpdir(), 'nerve-pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), '"nerve" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `nerve_test = host=127.0.0.1 port=${serverPort} dbname=nerve_test`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 4000',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
  }
  const [file, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', bin, join(dir, 'pgbouncer.ini')]]
    : [bin, [join(dir, 'pgbouncer.ini')]];
  const child = spawn(file, argv, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pidFile = join(dir, 'pgbouncer.pid');
  let pid = 0;
  for (let i = 0; i < 100 && !pid; i++) {
    await sleep(100);
    if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8').trim());
  }
  const log = () =>
    existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : '';
  if (!pid) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pgbouncer did not start: ${log()}`);
  }
  return {
    url: `postgresql://nerve@127.0.0.1:${port}/nerve_test`,
    pid,
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await Promise.race([exited, sleep(5000)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * EXPLAIN (ANALYZE) of the statements study-postgres.ts sends, on a study of
 * `trials` trials: the claim with half of them finished and half queued, and
 * the heartbeat and the idle workers' polls at the study's tail (nothing
 * queued, `running` trials running, the rest finished).
 */
export async function explainQueries(
  serverUrl: string,
  trials: number,
  running: number,
): Promise<string> {
  const study = `explain-${trials}`;
  const s = await PostgresStudyStorage.connect(serverUrl, { maxConnections: 1 });
  await s.openStudy(
    studyDefinition({
      storage: serverUrl,
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials }),
      seed: 1,
      objective: async () => {},
    } as unknown as StudyWorkerOptions),
  );
  await s.close();
  const c = new pg.Client({ connectionString: serverUrl });
  c.on('error', () => {});
  await c.connect();
  const out: string[] = [];
  try {
    const id = (
      await c.query<{ id: number }>('SELECT id FROM nerve_tune.studies WHERE name = $1', [study])
    ).rows[0].id;
    const finish = async (below: number) => {
      await c.query(
        `UPDATE nerve_tune.trials SET state = 'complete', worker = 'w', heartbeat_at = now(), finished_at = now(), value = 0
          WHERE study_id = $1 AND id < $2 AND state <> 'complete'`,
        [id, below],
      );
      await c.query('VACUUM ANALYZE nerve_tune.trials');
    };
    const show = async (title: string, sql: string, values: unknown[]) => {
      await c.query('BEGIN');
      const r = await c.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
        values,
      );
      // The statement's round trip, run 200 times (rolled back), from this client.
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) await c.query(sql, values);
      const ms = (performance.now() - t0) / 200;
      await c.query('ROLLBACK');
      out.push(
        `-- ${title}: ${ms.toFixed(3)} ms per round trip (mean of 200)`,
        ...r.rows.map((x) => x['QUERY PLAN']),
        '',
      );
    };
    await finish(Math.floor(trials / 2));
    // The statements as study-postgres.ts sends them.
    await show(
      `claim (${trials} trials, half finished, half queued)`,
      `UPDATE nerve_tune.trials t
          SET state = 'running', worker = $2, attempts = t.attempts + 1,
              claimed_at = now(), heartbeat_at = now()
        WHERE t.study_id = $1 AND t.id = (
          SELECT id FROM nerve_tune.trials
           WHERE study_id = $1 AND state = 'queued' AND id < $3
           ORDER BY id LIMIT 1
           FOR UPDATE SKIP LOCKED)
        RETURNING t.id, t.params, t.attempts`,
      [id, 'w', 2 ** 31 - 1],
    );
    await finish(trials - running);
    await c.query(
      `UPDATE nerve_tune.trials SET state = 'running', worker = 'w' || id, heartbeat_at = now()
        WHERE study_id = $1 AND state = 'queued'`,
      [id],
    );
    await c.query('VACUUM ANALYZE nerve_tune.trials');
    const tail = `${running} running, nothing queued`;
    const last = trials - 1;
    await show(
      `heartbeat (${tail})`,
      `UPDATE nerve_tune.trials SET heartbeat_at = now()
        WHERE study_id = $1 AND id = $2 AND worker = $3 AND state = 'running'`,
      [id, last, `w${last}`],
    );
    await show(
      `unfinished, idle workers poll it (${tail})`,
      `SELECT ((SELECT count(*) FROM nerve_tune.trials WHERE study_id = $1 AND state = 'queued')
             + (SELECT count(*) FROM nerve_tune.trials WHERE study_id = $1 AND state = 'running'))::int AS n`,
      [id],
    );
    // As it was before the two-count form (commit "tune: unfinished() counts through the partial indexes").
    await show(
      `unfinished before the fix, one count with state IN (…) (${tail})`,
      `SELECT count(*)::int AS n FROM nerve_tune.trials
        WHERE study_id = $1 AND state IN ('queued', 'running')`,
      [id],
    );
    await show(
      `requeueStale, idle workers poll it (${tail})`,
      `UPDATE nerve_tune.trials SET state = 'queued'
        WHERE study_id = $1 AND state = 'running'
          AND heartbeat_at < now() - make_interval(secs => $2)
        RETURNING id`,
      [id, 30],
    );
  } finally {
    await c.end();
  }
  return out.join('\n');
}
