import '@nerve/backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PostgresStudyStorage,
  type Reporter,
  type RecordedAndClaimed,
  type StudyStorage,
  StudyWorkerInterrupted,
  type TrialRecord,
  type TrialResult,
  logUniform,
  randomSearch,
  runStudy,
  runStudyWorker,
  showStudy,
  space,
  studyDefinition,
  uniform,
} from '../src/index.js';
import { migrate } from '../src/pg-schema.js';
import { bestTrial } from '../src/ranking.js';
import { type PgCluster, postgresBin, startCluster } from '../../../test/helpers/pg-cluster.js';
import { sharedStudyOptions, sharedWorkerOptions } from './helpers/shared-study.js';
import { type WorkerProcess, ranIds, spawnWorker } from './helpers/spawn-worker.js';

const comparable = (trials: TrialRecord[]) => trials.map(({ seconds, ...t }) => t);
const installed = postgresBin() !== null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until worker `w` (run with TUNE_TEST_HANG=1) prints that it hangs inside a trial with a
 * stored epoch, SIGKILLs it, and returns that trial's id. Throws with every worker's output at
 * `deadline`.
 */
async function killWhenHanging(
  w: WorkerProcess,
  all: WorkerProcess[],
  deadline: number,
): Promise<number> {
  let m: RegExpMatchArray | null;
  while (!(m = w.output().match(/^hanging (\d+)$/m))) {
    if (Date.now() > deadline) throw new Error(all.map((x) => x.output()).join('\n---\n'));
    await sleep(10);
  }
  w.child.kill('SIGKILL');
  expect((await w.exited).signal).toBe('SIGKILL');
  return Number(m[1]);
}

// CI installs PostgreSQL (.ci/run) and sets NERVE_REQUIRE_POSTGRES=1: there these tests must run.
it.runIf(process.env.NERVE_REQUIRE_POSTGRES === '1')('PostgreSQL is installed', () => {
  expect(postgresBin()).not.toBeNull();
});

describe.skipIf(!installed)('the PostgreSQL study storage', () => {
  let cluster: PgCluster;
  let dir = '';
  const query = async (sql: string, values: unknown[] = []) => {
    const c = new pg.Client({ connectionString: cluster.url() });
    await c.connect();
    try {
      return (await c.query(sql, values)).rows;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nerve-pg-test-'));
    cluster = await startCluster();
  }, 180_000);
  // pg_ctl stop waits for the server to go; on a loaded machine that takes seconds.
  afterAll(() => {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('creates its versioned schema once and refuses a newer one', async () => {
    const a = await PostgresStudyStorage.connect(cluster.url());
    const b = await PostgresStudyStorage.connect(cluster.url());
    await Promise.all([a.close(), b.close()]);
    expect(await query('SELECT version FROM nerve_tune.schema_version ORDER BY 1')).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    const tables = await query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'nerve_tune' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'rung_decisions',
      'schema_version',
      'studies',
      'trial_values',
      'trials',
    ]);
    await query('INSERT INTO nerve_tune.schema_version (version) VALUES (99)');
    try {
      await expect(PostgresStudyStorage.connect(cluster.url())).rejects.toThrow(
        /schema is version 99, newer than this nerve's 2/,
      );
    } finally {
      await query('DELETE FROM nerve_tune.schema_version WHERE version = 99');
    }
  });

  it('migrates a version-1 database to version 2 keeping its studies, and workers carry on', async () => {
    const n = 6;
    const name = 'before-v2';
    // A finished study in the current schema, copied row for row into a version-1 database.
    await runStudyWorker(sharedWorkerOptions(n, cluster.url(), name));
    const admin = new pg.Client({ connectionString: cluster.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE schema_v1');
    await admin.end();
    const v1Url = cluster.url('schema_v1');
    const tables = ['studies', 'trials', 'trial_values', 'rung_decisions'];
    const dump = async (url: string, filter: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const out: Record<string, unknown[]> = {};
        for (const t of tables) {
          const key =
            t === 'studies' ? 'id' : t === 'trials' ? 'study_id, id' : 'study_id, trial_id';
          const where =
            t === 'studies'
              ? `name = '${filter}'`
              : `study_id = (SELECT id FROM nerve_tune.studies WHERE name = '${filter}')`;
          out[t] = (
            await c.query(
              `SELECT row_to_json(x)::text AS j FROM nerve_tune.${t} x WHERE ${where} ORDER BY ${key}, 1`,
            )
          ).rows.map((r) => r.j);
        }
        return out;
      } finally {
        await c.end();
      }
    };
    const original = await dump(cluster.url(), name);
    expect(original.trials).toHaveLength(n);
    expect(original.trial_values.length).toBeGreaterThan(n);
    const v1 = new pg.Client({ connectionString: v1Url });
    await v1.connect();
    try {
      await v1.query('BEGIN');
      expect(await migrate(v1, v1Url, 1)).toEqual([1]);
      for (const t of tables) {
        await v1.query(
          `INSERT INTO nerve_tune.${t} SELECT * FROM json_populate_recordset(null::nerve_tune.${t}, $1::json)`,
          [`[${original[t].join(',')}]`],
        );
      }
      await v1.query(
        `SELECT setval('nerve_tune.studies_id_seq', (SELECT max(id) FROM nerve_tune.studies))`,
      );
      await v1.query('COMMIT');
    } finally {
      await v1.end();
    }
    const indexOf = async (url: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const r = await c.query(
          `SELECT indexdef, (SELECT reloptions FROM pg_class WHERE oid = 'nerve_tune.trials'::regclass) AS opts
             FROM pg_indexes WHERE schemaname = 'nerve_tune' AND indexname = 'trials_running'`,
        );
        return r.rows[0] as { indexdef: string; opts: string[] | null };
      } finally {
        await c.end();
      }
    };
    expect((await indexOf(v1Url)).indexdef).toContain('(study_id, heartbeat_at)');
    const shownBefore = await showStudy(v1Url, name);

    // The first worker to connect applies migration 2; the rows read back unchanged.
    const storage = await PostgresStudyStorage.connect(v1Url);
    await storage.close();
    const v2 = await indexOf(v1Url);
    expect(v2.indexdef).toMatch(/\(study_id\) WHERE \(state = 'running'::text\)$/);
    expect(v2.opts).toEqual(['fillfactor=70']);
    const c = new pg.Client({ connectionString: v1Url });
    await c.connect();
    expect(
      (await c.query('SELECT version FROM nerve_tune.schema_version ORDER BY 1')).rows,
    ).toEqual([{ version: 1 }, { version: 2 }]);
    await c.end();
    expect(await dump(v1Url, name)).toEqual(original);
    expect(await showStudy(v1Url, name)).toEqual(shownBefore);
    // A worker asking for more trials extends the migrated study and runs only the new ones.
    const more = await runStudyWorker(sharedWorkerOptions(n + 2, v1Url, name));
    expect(more.ran).toEqual([n, n + 1]);
    expect(more.total).toBe(n + 2);
  });

  it('says in one line what is wrong with a bad URL, a wrong password or a missing database', async () => {
    const port = cluster.port;
    const failure = async (url: string) => {
      const e = await PostgresStudyStorage.connect(url).then(
        () => null,
        (err: Error) => err,
      );
      expect(e, url).toBeInstanceOf(Error);
      const m = (e as Error).message;
      expect(m).not.toContain('\n');
      expect(m).not.toContain('hunter2');
      return m;
    };
    expect(await failure('postgresql://nerve:hunter2@127.0.0.1:99999/nerve_test')).toMatch(
      /^study storage: postgresql:\/\/nerve@127\.0\.0\.1:99999\/nerve_test is not a valid URL/,
    );
    expect(await failure(`postgresql://pwuser:hunter2@127.0.0.1:${port}/nerve_test`)).toBe(
      `study storage: postgresql://pwuser@127.0.0.1:${port}/nerve_test: password authentication failed for user 'pwuser'`,
    );
    expect(await failure(`postgresql://nerve:hunter2@127.0.0.1:${port}/nope`)).toBe(
      `study storage: postgresql://nerve@127.0.0.1:${port}/nope: database 'nope' does not exist (create it first, e.g. createdb nope)`,
    );
    // The right password gets in: the failure above was the password, not the role.
    const ok = await PostgresStudyStorage.connect(cluster.url('pwuser_db', 'pwuser', 'right'));
    await ok.close();
  });

  it('refuses to join a study with a different space or seed, naming the difference', async () => {
    const url = cluster.url();
    await runStudyWorker(sharedWorkerOptions(2, url, 'refuse'));
    await expect(
      runStudyWorker({ ...sharedWorkerOptions(2, url, 'refuse'), seed: 6 }),
    ).rejects.toThrow(
      /refusing to join study 'refuse' at .*: it was created with a different seed/,
    );
    await expect(
      runStudyWorker({
        ...sharedWorkerOptions(2, url, 'refuse'),
        space: space({ lr: logUniform(1e-5, 1) }),
      }),
    ).rejects.toThrow(/different search space/);
    const rows = await query(
      `SELECT count(*)::int AS n FROM nerve_tune.trials t JOIN nerve_tune.studies s ON s.id = t.study_id WHERE s.name = 'refuse'`,
    );
    expect(rows[0].n).toBe(2);
  });

  it("ends a worker with one row, the best trial by bestTrial's order, not the whole study", async () => {
    const url = cluster.url();
    const n = 8;
    const reference = await runStudy(sharedStudyOptions(n));
    const r = await runStudyWorker(sharedWorkerOptions(n, url, 'summary'));
    expect(r.trials).toBeNull();
    expect(r.total).toBe(n);
    expect(r.ran).toEqual([...Array(n).keys()]);
    expect(r.best?.id).toBe(reference.best?.id);
    // Joining the finished study with readTrials reads every trial, and the same best.
    const full = await runStudyWorker({
      ...sharedWorkerOptions(n, url, 'summary'),
      readTrials: true,
    });
    expect(full.ran).toEqual([]);
    expect(comparable((full.trials ?? []).map((t) => t.record as TrialRecord))).toEqual(
      comparable(reference.trials),
    );
    expect(full.best).toEqual(r.best);

    // Crafted results: a tie, a better pruned trial, failed and non-finite ones, in both modes.
    const six = await runStudy(sharedStudyOptions(6));
    const craft: [TrialRecord['status'], number][] = [
      ['completed', 0.5],
      ['pruned', 0.1],
      ['failed', Number.NaN],
      ['completed', 0.5],
      ['stopped', 0.9],
      ['completed', Number.POSITIVE_INFINITY],
    ];
    const records = craft.map(([status, objective], id) => ({
      ...six.trials[id],
      status,
      objective,
    }));
    const storage = await PostgresStudyStorage.connect(url);
    try {
      await storage.openStudy(studyDefinition(sharedWorkerOptions(6, url, 'crafted')));
      for (const rec of records) {
        expect((await storage.claim('w'))?.id).toBe(rec.id);
        expect(await storage.finish(rec.id, 'w', rec)).toBe(true);
      }
      for (const mode of ['min', 'max'] as const) {
        const s = await storage.summary(mode);
        expect(s.planned).toBe(6);
        expect(s.best?.id, mode).toBe(bestTrial(records, mode)?.id);
      }
    } finally {
      await storage.close();
    }
  });

  // The storage as a worker sees it, with `seen` told of each call as it is made: the method,
  // its arguments and the promise of its result. How the tests below see what a worker sends.
  const watched = (
    storage: PostgresStudyStorage,
    seen: (method: string, args: unknown[], result: Promise<unknown>) => void,
  ): StudyStorage =>
    new Proxy(storage, {
      get(target, key) {
        const v = Reflect.get(target, key);
        if (typeof v !== 'function') return v;
        return (...a: unknown[]) => {
          const result = v.apply(target, a);
          seen(String(key), a, result);
          return result;
        };
      },
    });

  // runStudyWorker holds a trial's report back when it expects it to be the trial's last (the
  // last epoch of its previous complete trial) and there is no ASHA: it goes out in the
  // statement that records the result. The storage is wrapped to see what the worker sends.
  const spied = (storage: PostgresStudyStorage, sent: string[]): StudyStorage =>
    watched(storage, (method, a) => {
      if (method === 'report') sent.push(`report ${a[0]}:${a[2]}`);
      if (method === 'recordAndClaim') {
        for (const r of a[1] as TrialResult[]) {
          sent.push(`finish ${r.id}${r.last ? ` with ${r.last.epoch}` : ''}`);
        }
      }
      if (method === 'release') sent.push(`release ${a[0]}`);
    });
  const storedEpochs = async (study: string, trial: number) =>
    (
      await query(
        `SELECT v.epoch FROM nerve_tune.trial_values v JOIN nerve_tune.studies s ON s.id = v.study_id
          WHERE s.name = $1 AND v.trial_id = $2 ORDER BY v.epoch`,
        [study, trial],
      )
    ).map((r) => r.epoch as number);

  it("sends a trial's expected last report with its result, and stores it at the next turn when the objective goes on", async () => {
    const url = cluster.url();
    const study = 'held';
    const storage = await PostgresStudyStorage.connect(url);
    const sent: string[] = [];
    // Trial 2 runs 5 epochs, the others 3; after its epoch 3 it yields to the event loop and
    // looks in the database before going on.
    let seenMidTrial: number[] = [];
    const objective = async (_c: { x: number }, r: Reporter) => {
      const epochs = r.trialId === 2 ? 5 : 3;
      for (let e = 1; e <= epochs; e++) {
        await r.report(e, { valLoss: r.trialId + e / 10 });
        if (r.trialId === 2 && e === 3) {
          await sleep(50);
          seenMidTrial = await storedEpochs(study, 2);
        }
      }
      return r.trialId;
    };
    const result = await runStudyWorker({
      storage: spied(storage, sent),
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 5 }),
      objective,
      workerId: 'w',
      readTrials: true,
      // One trial per statement (the batching of short trials is tested below).
      batchMs: 0,
    });
    await storage.close();
    expect(result.ran).toEqual([0, 1, 2, 3, 4]);
    const reports = (id: number, epochs: number[]) => epochs.map((e) => `report ${id}:${e}`);
    expect(sent).toEqual([
      // Nothing to expect yet: every epoch on its own.
      ...reports(0, [1, 2, 3]),
      'finish 0',
      // Trial 0 ended at epoch 3: trial 1's epoch 3 goes with its result.
      ...reports(1, [1, 2]),
      'finish 1 with 3',
      // Trial 2 goes on after epoch 3: the held-back report is written at the next turn.
      ...reports(2, [1, 2, 3, 4, 5]),
      'finish 2',
      // Trial 2 ended at epoch 5, trial 3 ends at 3: nothing held back.
      ...reports(3, [1, 2, 3]),
      'finish 3',
      ...reports(4, [1, 2]),
      'finish 4 with 3',
    ]);
    expect(seenMidTrial).toEqual([1, 2, 3]);
    // Every epoch of every trial is stored, as the serial record has it.
    for (const t of result.trials ?? []) {
      expect(t.intermediate, `trial ${t.id}`).toEqual(
        (t.record as TrialRecord).history.map((h) => ({
          epoch: h.epoch,
          value: h.metrics.valLoss,
        })),
      );
    }
  });

  it('stores a held-back report before giving the trial back on Ctrl-C', async () => {
    const url = cluster.url();
    const study = 'held-abort';
    const storage = await PostgresStudyStorage.connect(url);
    const sent: string[] = [];
    const abort = new AbortController();
    // Trial 1's epoch 2 is held back (trial 0 ended at 2); Ctrl-C comes right after it,
    // before the event loop turns.
    const objective = async (_c: { x: number }, r: Reporter) => {
      for (let e = 1; e <= 2; e++) await r.report(e, { valLoss: e });
      if (r.trialId === 1) {
        abort.abort();
        await new Promise(() => {});
      }
      return 0;
    };
    const e = await runStudyWorker({
      storage: spied(storage, sent),
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 3 }),
      objective,
      workerId: 'w',
      signal: abort.signal,
      batchMs: 0,
    }).then(
      () => null,
      (err: unknown) => err,
    );
    await storage.close();
    expect(e).toBeInstanceOf(StudyWorkerInterrupted);
    expect((e as StudyWorkerInterrupted).released).toBe(1);
    expect(sent).toEqual([
      'report 0:1',
      'report 0:2',
      'finish 0',
      'report 1:1',
      'report 1:2',
      'release 1',
    ]);
    expect(await storedEpochs(study, 1)).toEqual([1, 2]);
    const [row] = await query(
      `SELECT t.state FROM nerve_tune.trials t JOIN nerve_tune.studies s ON s.id = t.study_id
        WHERE s.name = $1 AND t.id = 1`,
      [study],
    );
    expect(row.state).toBe('queued');
  });

  // Short trials go several per statement (runStudyWorker's batchMs): the spy records each
  // recordAndClaim as the results it stores, the trials it asked for and those it got.
  const batchSpy = (storage: PostgresStudyStorage, calls: string[]): StudyStorage =>
    watched(storage, (method, a, result) => {
      if (method !== 'recordAndClaim') return;
      const results = a[1] as TrialResult[];
      const ids = (xs: number[]) => `[${xs.join(',')}]`;
      result.then(
        (got) =>
          calls.push(
            `record ${ids(results.map((r) => r.id))}${results.some((r) => r.last) ? ' with last' : ''} claim ${a[2]} got ${ids((got as RecordedAndClaimed).next.map((t) => t.id))}`,
          ),
        () => {},
      );
    });
  const trivial = async (c: { x: number }, r: Reporter) => {
    await r.report(1, { valLoss: c.x });
    return c.x;
  };

  it('claims short trials sixteen at a time and stores their results, last epochs included, with the next claim', async () => {
    const url = cluster.url();
    const study = 'batched';
    const storage = await PostgresStudyStorage.connect(url);
    const calls: string[] = [];
    const ended: number[] = [];
    const result = await runStudyWorker({
      storage: batchSpy(storage, calls),
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 20 }),
      seed: 3,
      objective: trivial,
      workerId: 'w',
      readTrials: true,
      // Any trial under 625 ms counts as short: 16 per claim.
      batchMs: 10_000,
      onTrialEnd: (t) => ended.push(t.id),
    });
    await storage.close();
    expect(calls).toEqual([
      // Nothing has run yet: one trial.
      'record [] claim 1 got [0]',
      // Trial 0's report went alone (no epoch expected yet); trial 1's on is held back.
      'record [0] claim 16 got [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]',
      'record [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16] with last claim 16 got [17,18,19]',
      'record [17,18,19] with last claim 16 got []',
    ]);
    expect(result.ran).toEqual([...Array(20).keys()]);
    expect(ended).toEqual(result.ran);
    // As a serial run, every epoch stored.
    const serial = await runStudy({
      space: space({ x: uniform(0, 1) }),
      objective: trivial,
      searcher: randomSearch({ trials: 20 }),
      seed: 3,
    });
    expect(comparable((result.trials ?? []).map((t) => t.record as TrialRecord))).toEqual(
      comparable(serial.trials),
    );
    for (const t of result.trials ?? []) {
      expect(t.state).toBe('complete');
      expect(t.intermediate.map((v) => v.epoch)).toEqual([1]);
    }
  });

  it('stores a batch of trials one statement at a time when they are slow, and claims one at a time', async () => {
    const url = cluster.url();
    const storage = await PostgresStudyStorage.connect(url);
    const calls: string[] = [];
    // 30 ms trials with batchMs 40: one per claim.
    const result = await runStudyWorker({
      storage: batchSpy(storage, calls),
      study: 'slow-batch',
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 3 }),
      objective: async (c: { x: number }, r: Reporter) => {
        await sleep(30);
        return trivial(c, r);
      },
      workerId: 'w',
      batchMs: 40,
    });
    await storage.close();
    expect(result.ran).toEqual([0, 1, 2]);
    expect(calls).toEqual([
      'record [] claim 1 got [0]',
      'record [0] claim 1 got [1]',
      'record [1] with last claim 1 got [2]',
      'record [2] with last claim 1 got []',
    ]);
  });

  it('on Ctrl-C in a batch: stores the results that ended, gives back the running trial and the claimed ones', async () => {
    const url = cluster.url();
    const study = 'batch-abort';
    const storage = await PostgresStudyStorage.connect(url);
    const calls: string[] = [];
    const abort = new AbortController();
    const e = await runStudyWorker({
      storage: batchSpy(storage, calls),
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 10 }),
      objective: async (c: { x: number }, r: Reporter) => {
        // Trial 4 (the batch's fourth) is interrupted at its first report.
        if (r.trialId === 4) {
          abort.abort();
          await new Promise(() => {});
        }
        return trivial(c, r);
      },
      workerId: 'w',
      batchMs: 10_000,
      signal: abort.signal,
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StudyWorkerInterrupted);
    expect((e as StudyWorkerInterrupted).released).toBe(4);
    expect((e as StudyWorkerInterrupted).recorded).toBe(3);
    expect(calls).toEqual([
      'record [] claim 1 got [0]',
      'record [0] claim 16 got [1,2,3,4,5,6,7,8,9]',
      // Ctrl-C: the three that ended are stored, nothing more is claimed.
      'record [1,2,3] with last claim 0 got []',
    ]);
    const rows = await query(
      `SELECT t.id, t.state, t.worker FROM nerve_tune.trials t
         JOIN nerve_tune.studies s ON s.id = t.study_id WHERE s.name = $1 ORDER BY t.id`,
      [study],
    );
    expect(rows.map((r) => r.state)).toEqual([
      ...Array(4).fill('complete'),
      ...Array(6).fill('queued'),
    ]);
    // Another worker finishes the study as a serial run would.
    const rest = await runStudyWorker({
      storage: storage,
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 10 }),
      objective: trivial,
      workerId: 'v',
      readTrials: true,
    });
    await storage.close();
    expect(rest.ran).toEqual([4, 5, 6, 7, 8, 9]);
    const serial = await runStudy({
      space: space({ x: uniform(0, 1) }),
      objective: trivial,
      searcher: randomSearch({ trials: 10 }),
    });
    expect(comparable((rest.trials ?? []).map((t) => t.record as TrialRecord))).toEqual(
      comparable(serial.trials),
    );
  });

  it('wakes an idle worker at once when a trial goes back to the queue and when the study finishes (LISTEN/NOTIFY)', async () => {
    const url = cluster.url();
    const study = 'notify';
    const opts = {
      storage: url,
      study,
      space: space({ x: uniform(0, 1) }),
      searcher: randomSearch({ trials: 2 }),
      objective: trivial,
    };
    // Another worker, 'x', holds both trials.
    const other = await PostgresStudyStorage.connect(url);
    await other.openStudy(studyDefinition(opts as never));
    const held = [await other.claim('x'), await other.claim('x')].map((t) => t?.id);
    expect(held).toEqual([0, 1]);
    // The idle worker waits a minute between looks: it polls too seldom to see anything in time.
    const storage = await PostgresStudyStorage.connect(url);
    const waits: number[] = [];
    const watchedStorage = watched(storage, (method, a) => {
      if (method === 'waitForWork') waits.push(a[0] as number);
    });
    const started: [number, number][] = [];
    let returnedAt = 0;
    const idle = runStudyWorker({
      ...opts,
      storage: watchedStorage,
      workerId: 'a',
      pollMs: 60_000,
      onTrialStart: (t) => started.push([t.id, Date.now()]),
    }).then((r) => {
      returnedAt = Date.now();
      return r;
    });
    // Its first waitForWork only LISTENs and returns; the second waits a minute. Once it is in
    // that wait, 'x' gives trial 0 back.
    while (waits.length < 2) await sleep(20);
    await sleep(100);
    const releasedAt = Date.now();
    await other.release(0, 'x');
    while (started.length === 0 && Date.now() - releasedAt < 5000) await sleep(10);
    expect(started.length, 'trial 0 started within 5 s of its release').toBe(1);
    expect(started[0][0]).toBe(0);
    expect(started[0][1] - releasedAt).toBeLessThan(1500);
    // It runs trial 0 and waits again; 'x' records trial 1, finds the study finished, and says so.
    await sleep(200);
    const { storage: _, study: __, ...serial } = opts;
    const [t1] = (await runStudy(serial)).trials.slice(1);
    expect(await other.finish(1, 'x', t1)).toBe(true);
    const finishedAt = Date.now();
    expect(await other.unfinished()).toBe(0);
    const r = await idle;
    expect(r.ran).toEqual([0]);
    expect(returnedAt - finishedAt).toBeLessThan(1500);
    await Promise.all([other.close(), storage.close()]);
  }, 30_000);

  it('four workers, one SIGKILLed mid-trial and the server restarted: every trial once, as a serial run', async () => {
    const n = 24;
    const url = cluster.url();
    const reference = await runStudy(sharedStudyOptions(n));
    expect(reference.trials.filter((t) => t.status === 'pruned').length).toBeGreaterThan(0);
    const go = join(dir, 'kill.go');
    const env = (i: number) => ({
      // w0, the one killed, hangs in the first trial it is told to go on with (TUNE_TEST_HANG).
      TUNE_TEST_SLEEP_MS: '60',
      ...(i === 0 ? { TUNE_TEST_HANG: '1' } : {}),
      TUNE_TEST_GO: go,
      TUNE_TEST_WORKER: `w${i}`,
      // Beats every 200 ms; re-queued after 6 s of silence, longer than a restart takes here.
      TUNE_TEST_HEARTBEAT_MS: '200',
      TUNE_TEST_GRACE_MS: '6000',
    });
    const ws: WorkerProcess[] = [0, 1, 2, 3].map((i) => spawnWorker(url, 'kill', n, env(i)));
    const deadline = Date.now() + 90_000;
    while (!ws.every((w) => w.output().includes('ready'))) {
      if (Date.now() > deadline) throw new Error(ws.map((w) => w.output()).join('\n---\n'));
      await sleep(20);
    }
    const t0 = performance.now();
    writeFileSync(go, '');
    // Kill w0 inside a trial: claimed, one epoch stored, told to go on, and hanging there.
    const victim = await killWhenHanging(ws[0], ws, deadline);
    // What w0 held when it died stays running (for the 6 s grace) until another worker takes it.
    const held = await query(
      `SELECT t.id FROM nerve_tune.trials t JOIN nerve_tune.studies s ON s.id = t.study_id
        WHERE s.name = 'kill' AND t.worker = 'w0' AND t.state = 'running'`,
    );
    expect(held.map((r) => r.id)).toEqual([victim]);
    const tKill = performance.now();
    cluster.restart();
    const tRestarted = performance.now();
    const ends = await Promise.all(ws.slice(1).map((w) => w.exited));
    for (const [i, e] of ends.entries()) expect(e.code, ws[i + 1].output()).toBe(0);

    const ms = (t: number) => Math.round(t - t0);
    console.log(
      `pg kill test: kill at ${ms(tKill)} ms, restart done at ${ms(tRestarted)} ms, study done at ${ms(performance.now())} ms`,
    );
    const storage = await PostgresStudyStorage.connect(url);
    await storage.openStudy(studyDefinition(sharedWorkerOptions(n, url, 'kill')));
    const stored = await storage.trials();
    await storage.close();
    expect(stored.every((t) => ['complete', 'pruned', 'failed'].includes(t.state))).toBe(true);
    expect(comparable(stored.map((t) => t.record as TrialRecord))).toEqual(
      comparable(reference.trials),
    );
    for (const [i, t] of stored.entries()) {
      expect(t.intermediate, `trial ${i}`).toEqual(
        reference.trials[i].history.map((h) => ({ epoch: h.epoch, value: h.metrics.valLoss })),
      );
    }
    // `nerve tune show` reads the same from the database alone.
    const shown = await showStudy(url, 'kill');
    expect(shown.trials).toEqual(stored);
    // The killed worker's trial went back to the queue and another worker finished it.
    const killed = stored[victim];
    expect(
      killed.attempts,
      JSON.stringify({ victim, killed, attempts: stored.map((t) => [t.id, t.worker, t.attempts]) }),
    ).toBeGreaterThanOrEqual(2);
    expect(killed.worker).not.toBe('w0');
    // Every trial was recorded exactly once: the survivors' results and w0's earlier ones partition the ids.
    const recorded = [
      ...ws.slice(1).flatMap(ranIds),
      ...stored.filter((t) => t.worker === 'w0').map((t) => t.id),
    ];
    expect(recorded.sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  }, 240_000);

  it('six workers, two SIGKILLed mid-trial and the server restarted between the kills: every trial once, as a serial run', async () => {
    const n = 30;
    const study = 'kill6';
    const url = cluster.url();
    const reference = await runStudy(sharedStudyOptions(n));
    const go = join(dir, 'kill6.go');
    const env = (i: number) => ({
      // w0 and w1, the two killed, hang in the first trial they are told to go on with.
      TUNE_TEST_SLEEP_MS: '60',
      ...(i < 2 ? { TUNE_TEST_HANG: '1' } : {}),
      TUNE_TEST_GO: go,
      TUNE_TEST_WORKER: `w${i}`,
      // The shortest settings that keep a restart from re-queueing live workers' trials: beats
      // every 200 ms, re-queued after 6 s of silence (a fast restart takes 1-3 s here under load).
      TUNE_TEST_HEARTBEAT_MS: '200',
      TUNE_TEST_GRACE_MS: '6000',
    });
    const ws: WorkerProcess[] = [0, 1, 2, 3, 4, 5].map((i) => spawnWorker(url, study, n, env(i)));
    const t0 = performance.now();
    const deadline = Date.now() + 120_000;
    const fail = () => new Error(ws.map((w) => w.output()).join('\n---\n'));
    while (!ws.every((w) => w.output().includes('ready'))) {
      if (Date.now() > deadline) throw fail();
      await sleep(20);
    }
    const tReady = performance.now();
    writeFileSync(go, '');
    // What worker `w` holds (running).
    const running = (w: string) =>
      query(
        `SELECT t.id FROM nerve_tune.trials t JOIN nerve_tune.studies s ON s.id = t.study_id
          WHERE s.name = $1 AND t.worker = $2 AND t.state = 'running'`,
        [study, w],
      ).then((rows) => rows.map((r) => r.id as number));
    const killMidTrial = async (i: number): Promise<number> => {
      const id = await killWhenHanging(ws[i], ws, deadline);
      // What it held when it died stays running (for the grace period) until another worker takes it.
      expect(await running(`w${i}`)).toEqual([id]);
      return id;
    };
    const victims = [await killMidTrial(0)];
    const tKill0 = performance.now();
    cluster.restart();
    const tRestarted = performance.now();
    victims.push(await killMidTrial(1));
    const tKill1 = performance.now();
    const ends = await Promise.all(ws.slice(2).map((w) => w.exited));
    for (const [i, e] of ends.entries()) expect(e.code, ws[i + 2].output()).toBe(0);
    const ms = (t: number) => Math.round(t - tReady);
    console.log(
      `pg six-worker kill test: workers ready after ${Math.round(tReady - t0)} ms; then kill 1 at ${ms(tKill0)} ms, restart done at ${ms(tRestarted)} ms, kill 2 at ${ms(tKill1)} ms, study done at ${ms(performance.now())} ms`,
    );

    const storage = await PostgresStudyStorage.connect(url);
    await storage.openStudy(studyDefinition(sharedWorkerOptions(n, url, study)));
    const stored = await storage.trials();
    await storage.close();
    expect(stored.every((t) => ['complete', 'pruned', 'failed'].includes(t.state))).toBe(true);
    // Params, values and records (hence the best trial) equal the serial run's.
    expect(stored.map((t) => t.params)).toEqual(reference.trials.map((t) => t.config));
    expect(comparable(stored.map((t) => t.record as TrialRecord))).toEqual(
      comparable(reference.trials),
    );
    for (const [i, t] of stored.entries()) {
      expect(t.value, `trial ${i}`).toBe(reference.trials[i].objective);
      expect(t.intermediate, `trial ${i}`).toEqual(
        reference.trials[i].history.map((h) => ({ epoch: h.epoch, value: h.metrics.valLoss })),
      );
    }
    const shown = await showStudy(url, study);
    expect(shown.trials).toEqual(stored);
    const best = reference.best as TrialRecord;
    const bestStored = stored
      .filter((t) => t.state === 'complete')
      .reduce((a, b) => ((b.value as number) < (a.value as number) ? b : a));
    expect(bestStored.id).toBe(best.id);
    // Both killed workers' trials went back to the queue and other workers finished them.
    for (const v of victims) {
      expect(stored[v].attempts, `trial ${v}`).toBeGreaterThanOrEqual(2);
      expect(['w0', 'w1']).not.toContain(stored[v].worker);
    }
    // Exactly once: the survivors' recorded ids and the killed workers' earlier ones partition 0…n-1.
    const recorded = [
      ...ws.slice(2).flatMap(ranIds),
      ...stored.filter((t) => t.worker === 'w0' || t.worker === 'w1').map((t) => t.id),
    ];
    expect(recorded.sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  }, 300_000);
});
