/**
 * Keeps the scale simulation (bench/tune-storage/simulate.ts, docs/scale.md)
 * runnable: its code path, simulated workers running runStudyWorker against
 * a real PostgreSQL server, in quick mode with small N. Every trial must be
 * claimed exactly once and recorded by exactly one worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SimulationResult,
  pgbouncerBin,
  simulate,
  startPgbouncer,
} from '../../../bench/tune-storage/simulate-lib.js';
import { type PgCluster, postgresBin, startCluster } from '../../../test/helpers/pg-cluster.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every trial claimed once, recorded once by one worker, and stored complete after one attempt. */
function expectEachTrialOnce(r: SimulationResult, trials: number): void {
  expect(r.claimsPerTrial).toEqual(ids(trials).map(() => 1));
  expect(r.ran.flat().sort((a, b) => a - b)).toEqual(ids(trials));
  expect(r.stored).toEqual(ids(trials).map((id) => ({ id, state: 'complete', attempts: 1 })));
}

describe.skipIf(postgresBin() === null)('the scale simulation', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 180_000);
  afterAll(() => cluster?.stop(), 60_000);

  it('claims every trial exactly once with 1 and 4 simulated workers', async () => {
    for (const workers of [1, 4]) {
      const r = await simulate({
        url: cluster.url(),
        serverUrl: cluster.url(),
        workers,
        trials: 24,
        study: `quick-${workers}`,
      });
      expectEachTrialOnce(r, 24);
      expect(r.claimP99Ms).toBeGreaterThan(0);
      // Each worker's pool opens at most 2 connections (PostgresStudyStorage's default).
      expect(r.serverConnections).toBeGreaterThanOrEqual(1);
      expect(r.serverConnections).toBeLessThanOrEqual(2 * workers);
      // Every claim, report and finish updates or inserts: the trials table saw updates.
      expect(r.updates).toBeGreaterThanOrEqual(2 * 24);
    }
  }, 120_000);

  it('counts heartbeats, each one a row update', async () => {
    // A 600 ms trial with a 100 ms heartbeat: the interval's first beat is due before the trial ends.
    const r = await simulate({
      url: cluster.url(),
      serverUrl: cluster.url(),
      workers: 2,
      trials: 4,
      objectiveMs: 600,
      heartbeatMs: 100,
      study: 'quick-beats',
    });
    expectEachTrialOnce(r, 4);
    expect(r.heartbeatsOk).toBeGreaterThanOrEqual(4);
    expect(r.heartbeats).toBeGreaterThanOrEqual(r.heartbeatsOk);
    // Each heartbeat that found its trial updated its row; claim and finish update each trial once more.
    expect(r.updates).toBeGreaterThanOrEqual(r.heartbeatsOk + 2 * 4);
  }, 120_000);

  it.skipIf(pgbouncerBin() === null)(
    'runs through pgbouncer in transaction mode (no session state in the storage)',
    async () => {
      const pooler = await startPgbouncer(cluster.port, 2);
      try {
        const r = await simulate({
          url: pooler.url,
          serverUrl: cluster.url(),
          workers: 6,
          trials: 30,
          study: 'quick-pooled',
          poolerPid: pooler.pid,
        });
        expectEachTrialOnce(r, 30);
        // Six workers' pools share the pooler's 2 server connections.
        expect(r.serverConnections).toBeLessThanOrEqual(2);
      } finally {
        await pooler.stop();
      }
    },
    120_000,
  );
});
