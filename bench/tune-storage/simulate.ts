/**
 * The scale simulation (docs/scale.md, "What limits a study at 1,000
 * workers"): N simulated workers (N = 1, 2, 4, …, 256) in this Node process,
 * each its own PostgresStudyStorage and connection pool, run the real worker
 * loop (runStudyWorker: claim, heartbeat, report, finish) against a
 * throwaway PostgreSQL cluster.
 *
 * Two runs per N:
 * - claims: a trivial objective (one report, no sleep), 10·N trials (at
 *   least 200): claims/s and p50/p99 claim latency;
 * - heartbeats: each trial sleeps `--beat-trial-ms` (default 2000) with a
 *   heartbeat every `--beat-ms` (default 250), 2·N trials: the heartbeat
 *   write rate the server sustains, HOT updates and WAL per heartbeat.
 *   N workers beating every 250 ms write as many rows as 20·N workers at the
 *   default 5 s.
 * Then the claims run again at the largest N through pgbouncer in
 * transaction mode, when it is installed (Debian: `apt-get install
 * pgbouncer`; skipped, with the reason printed, when absent).
 *
 *   pnpm bench:tune-scale [--max N] [--quick] [--no-pooler] [--no-what-if] [--explain] [--idle | --idle-only]
 *     [--min N] [--claims-only]
 *
 * Last, the heartbeat runs again in schema version 1's layout (before
 * migration 2): `heartbeat_at` in the trials_running index and fillfactor
 * 100, where no heartbeat can be a HOT update (`--no-what-if` skips it).
 *
 * Trials re-queue after 30 s without a heartbeat, as in a real study at
 * the default 5 s interval. Server CPU is read from /proc (the postmaster and its children), so it
 * needs the server on this machine, as here.
 */
import '@nerve/backend-cpu';
import { loadavg } from 'node:os';
import pg from 'pg';
import { startCluster } from '../../test/helpers/pg-cluster.js';
import {
  type Pooler,
  type SimulationResult,
  explainQueries,
  pgbouncerBin,
  simulate,
  startPgbouncer,
} from './simulate-lib.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = flag('--quick');
const maxN = value('--max', quick ? 8 : 256);
const beatMs = value('--beat-ms', 250);
const beatTrialMs = value('--beat-trial-ms', 2000);
const poolSize = value('--pool', 8);
const ns: number[] = [];
for (let n = value('--min', 1); n <= maxN; n *= 2) ns.push(n);

/** Prints a markdown table's header and separator (numbers right-aligned, the last column, load, not). */
const tableHeader = (header: string) => {
  const n = header.split('|').length - 2;
  console.log(header);
  console.log(`|${' ---: |'.repeat(n - 1)} --- |`);
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const f = (x: number | null, d = 0) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(d));
// Trials claimed other than exactly once (a re-queued trial is claimed again): 0 expected.
const reclaimed = (r: SimulationResult) => r.claimsPerTrial.filter((c) => c !== 1).length;

// Two connections per worker at most, plus the monitor and a margin.
const cluster = await startCluster({ maxConnections: 2 * maxN + 20 });
let pooler: Pooler | null = null;
try {
  console.log(`load average before: ${load()}`);
  if (flag('--explain')) console.log(await explainQueries(cluster.url(), 10_000, 256));

  if (flag('--idle') || flag('--idle-only')) {
    // A study's tail: one long trial runs, every other worker polls (empty claim, unfinished, requeueStale).
    const c = new pg.Client({ connectionString: cluster.url() });
    await c.connect();
    const rows = async () =>
      (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM nerve_tune.trials')).rows[0].n;
    const r = await simulate({
      url: cluster.url(),
      serverUrl: cluster.url(),
      workers: maxN,
      trials: 1,
      objectiveMs: 10_000,
      study: 'idle-tail',
    });
    console.log(
      `\nidle tail: ${maxN} workers, one 10 s trial, the others polling every 250 ms; ${await rows()} trials in the table (all studies):`,
    );
    console.log(
      `empty claims ${f(r.emptyClaims / r.seconds)}/s, server CPU ${f(r.serverCores, 2)} cores, client CPU ${f(r.clientCores, 2)} cores, load ${load()}`,
    );
    await c.end();
  }
  if (!flag('--idle-only')) await scaling();
} finally {
  // scaling() may leave it running when it throws.
  await (pooler as Pooler | null)?.stop();
  cluster.stop();
}

async function scaling(): Promise<void> {
  console.log(
    `\nclaims: trivial objective, 10·N trials (≥ ${quick ? 40 : 200}), heartbeat 5 s, poll 250 ms, 2 connections per worker`,
  );
  tableHeader(
    '| workers | trials | claims/s | claim p50 ms | claim p99 ms | server CPU (cores) | client CPU (cores) | server connections | MB private per backend | join max ms | lock waits mean/max | end read s | claimed ≠ 1 | load avg |',
  );
  const claimRow = (label: string, r: SimulationResult) =>
    console.log(
      `| ${label} | ${r.trials} | ${f(r.claimsPerSecond)} | ${f(r.claimP50Ms, 1)} | ${f(r.claimP99Ms, 1)} | ${f(r.serverCores, 2)}${r.poolerCores === null ? '' : ` + pgbouncer ${f(r.poolerCores, 2)}`} | ${f(r.clientCores, 2)} | ${r.serverConnections} | ${f(r.backendPrivateKb === null ? null : r.backendPrivateKb / 1024, 1)} | ${f(r.joinMaxMs)} | ${f(r.lockWaitMean, 1)}/${r.lockWaitMax} | ${f(r.endReadSeconds, 1)} | ${reclaimed(r)} | ${load()} |`,
    );
  const waits: string[] = [];
  for (const n of ns) {
    const trials = Math.max(quick ? 40 : 200, 10 * n);
    const r = await simulate({
      url: cluster.url(),
      serverUrl: cluster.url(),
      workers: n,
      trials,
      study: `claims-${n}`,
    });
    claimRow(String(n), r);
    waits.push(
      `${n}: ${r.waitEvents
        .slice(0, 5)
        .map(([e, k]) => `${e} ${k.toFixed(1)}`)
        .join(', ')}`,
    );
  }
  console.log(
    "\nwhat the workers' backends wait on (mean backends per 100 ms sample; ClientRead: idle, waiting for the worker):",
  );
  for (const w of waits) console.log(w);

  if (flag('--no-pooler')) console.log('\npgbouncer: skipped (--no-pooler)');
  else if (!pgbouncerBin())
    console.log(
      '\npgbouncer: skipped, not installed (Debian: apt-get install pgbouncer, or set NERVE_PGBOUNCER)',
    );
  else {
    pooler = await startPgbouncer(cluster.port, poolSize);
    console.log(
      `\nthrough pgbouncer (transaction mode, ${poolSize} server connections), same run as above:`,
    );
    for (const n of [...new Set([Math.min(8, maxN), maxN])]) {
      const trials = Math.max(quick ? 40 : 200, 10 * n);
      const r = await simulate({
        url: pooler.url,
        serverUrl: cluster.url(),
        workers: n,
        trials,
        study: `pooled-${n}`,
        poolerPid: pooler.pid,
      });
      claimRow(`${n} via pgbouncer`, r);
    }
    // Its server connections would hold statistics the heartbeat runs read.
    await pooler.stop();
    pooler = null;
  }
  if (flag('--claims-only')) return;

  console.log(
    `\nheartbeats: each trial sleeps ${beatTrialMs} ms, heartbeat every ${beatMs} ms (N workers here write as many rows/s as ${5000 / beatMs}·N at the default 5 s), 2·N trials`,
  );
  tableHeader(
    '| workers | heartbeats/s | expected/s | beat p99 ms | beat max ms | trials updates | HOT % | WAL bytes/update | full-page images | server CPU (cores) | claimed ≠ 1 | load avg |',
  );
  const beatRow = async (label: string, n: number) => {
    const r = await simulate({
      url: cluster.url(),
      serverUrl: cluster.url(),
      workers: n,
      trials: 2 * n,
      objectiveMs: beatTrialMs,
      heartbeatMs: beatMs,
      study: `beats-${label.replace(/\W+/g, '-')}`,
    });
    // Each worker beats (trial time / interval) times per trial, rounded down by setInterval.
    const expected = (n * Math.floor(beatTrialMs / beatMs)) / (beatTrialMs / 1000);
    console.log(
      `| ${label} | ${f(r.heartbeatsPerSecond)} | ${f(expected)} | ${f(r.heartbeatP99Ms, 1)} | ${f(r.heartbeatMaxMs, 1)} | ${r.updates} | ${f((100 * r.hotUpdates) / Math.max(1, r.updates))} | ${f(r.walBytes / Math.max(1, r.updates))} | ${r.walFpi} | ${f(r.serverCores, 2)} | ${reclaimed(r)} | ${load()} |`,
    );
  };
  for (const n of ns) await beatRow(String(n), n);

  // Before migration 2 (schema version 1): heartbeat_at indexed, full pages; no beat is HOT.
  if (!flag('--no-what-if')) {
    const c = new pg.Client({ connectionString: cluster.url() });
    await c.connect();
    await c.query(`DROP INDEX nerve_tune.trials_running;
      CREATE INDEX trials_running ON nerve_tune.trials (study_id, heartbeat_at) WHERE state = 'running';
      ALTER TABLE nerve_tune.trials RESET (fillfactor)`);
    await c.end();
    console.log(
      "\nschema version 1's layout (before migration 2): trials_running indexes (study_id, heartbeat_at), fillfactor 100, same heartbeat run:",
    );
    for (const n of [...new Set([Math.min(64, maxN), maxN])]) await beatRow(`${n} v1 layout`, n);
  }
}
