/**
 * The PostgreSQL study storage: workers on any number of machines share a
 * study through one database (schema in pg-schema.ts).
 *
 * - A claim is one statement: the queued trial of smallest id is picked with
 *   `FOR UPDATE SKIP LOCKED` (concurrent claims never wait on each other and
 *   never get the same row) and marked running with the server's clock.
 * - Heartbeats, reports and results are accepted only from the worker that
 *   holds the trial (`worker = $w AND state = 'running'`): a worker whose
 *   trial went back to the queue cannot overwrite the re-run's result, which
 *   is how Optuna's heartbeats lose trials ("Trial#N has already finished").
 * - Stale trials (heartbeat older than the grace period, by the server's
 *   clock, so workers' clocks never matter) are re-queued in one UPDATE.
 * - An ASHA rung decision is read and written in one transaction and stored,
 *   so a re-run of the trial gets the same decision.
 * - Every call retries with backoff while the server is away
 *   (pg-connection.ts). A retried claim whose first try committed leaves
 *   that trial running without heartbeats: it is re-queued after the grace
 *   period, never lost. Results and reports are idempotent.
 */
import { NerveError } from '@nerve/core/base';
import type { Decision } from './pruning.js';
import { PgConnection, checkUrl, describeFailure, importPg, redactUrl } from './pg-connection.js';
import { SCHEMA_VERSION, migrate } from './pg-schema.js';
import {
  type ClaimedTrial,
  type RungOutcome,
  type OpenedStudy,
  type RecordedAndClaimed,
  type StoredStudy,
  type StoredTrial,
  type StudyDefinition,
  type StudyStorage,
  type StudySummary,
  type TrialResult,
  type TrialState,
  finalState,
  finalValue,
  rungOutcome,
} from './storage.js';
import { type StudyHeader, headerMismatch } from './study-file.js';
import { type Metrics, type TrialRecord, decodeTrial, encodeTrial } from './trial.js';

const T = 'nerve_tune';

/** Options of PostgresStudyStorage.connect. */
export interface PostgresStorageOptions {
  /** Connections this process keeps (default 2: one for the heartbeat, one for the trial). */
  maxConnections?: number;
  /** How long a call keeps retrying while the server is away (default 120 s). */
  retryForMs?: number;
}

const num = (v: unknown): number => (v === null || v === undefined ? Number.NaN : Number(v));

/**
 * The claim of study $1's `limit` queued trials of smallest id below
 * `below`, marked running for `worker` (placeholders or literals) with the
 * server's clock. `SKIP LOCKED` lets concurrent claims pass each other; the
 * partial index on queued trials keeps the subquery an index scan.
 */
const claimSql = (worker: string, below: string, limit = '1') => `UPDATE ${T}.trials t
    SET state = 'running', worker = ${worker}, attempts = t.attempts + 1,
        claimed_at = now(), heartbeat_at = now()
  WHERE t.study_id = $1 AND t.id IN (
    SELECT id FROM ${T}.trials
     WHERE study_id = $1 AND state = 'queued' AND id < ${below}
     ORDER BY id LIMIT ${limit}
     FOR UPDATE SKIP LOCKED)
  RETURNING t.id, t.params, t.attempts`;

/** A report's row meets an earlier try's (a retried statement, a re-run trial): the new one wins. */
const UPSERT_VALUE = `ON CONFLICT (study_id, trial_id, epoch)
       DO UPDATE SET value = EXCLUDED.value, metrics = EXCLUDED.metrics, reported_at = now()`;

/** An epoch's metrics as stored: JSON, non-finite numbers as null. */
const metricsJson = (metrics: Metrics): string =>
  JSON.stringify(
    Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null])),
  );

/** A study in a PostgreSQL database (see the file comment). */
export class PostgresStudyStorage implements StudyStorage {
  readonly location: string;
  private studyId: number | null = null;
  private header: StudyHeader | null = null;

  /** Idle workers' wake-ups (waitForWork): a NOTIFY came since the last wait, and the waiter. */
  private notified = false;
  private wake: (() => void) | null = null;
  /** PgConnection.connections when this process last ran LISTEN (-1: not listening). */
  private listeningAt = -1;

  private constructor(private readonly db: PgConnection) {
    this.location = redactUrl(db.url);
    db.onNotification = (channel) => {
      if (channel !== this.channel()) return;
      this.notified = true;
      this.wake?.();
    };
  }

  /** Study `id`'s NOTIFY channel: trials were queued, or the study finished. */
  private channel(id = this.studyId): string {
    return `nerve_tune_${id}`;
  }

  /** Connects to `url` and brings its schema up to date; one-line errors for a bad URL, password or database. */
  static async connect(
    url: string,
    opts: PostgresStorageOptions = {},
  ): Promise<PostgresStudyStorage> {
    checkUrl(url);
    const pg = await importPg();
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.maxConnections ?? 2,
      connectionTimeoutMillis: 10_000,
    });
    const db = new PgConnection(url, pool, {
      firstMs: 50,
      maxMs: 2000,
      giveUpAfterMs: opts.retryForMs ?? 120_000,
    });
    // The first statement fails fast: a wrong URL, password or database is not transient. It
    // also reads the schema's version, so a worker joining an up-to-date database skips the
    // migration's transaction and lock (six round trips at every process start).
    let current: number | null = null;
    try {
      const r = await pool.query<{ v: number | null }>(
        `SELECT max(version)::int AS v FROM ${T}.schema_version`,
      );
      current = r.rows[0].v;
    } catch (e) {
      const code = (e as { code?: string }).code;
      // 42P01 undefined_table, 3F000 invalid_schema_name: nothing migrated yet.
      if (code !== '42P01' && code !== '3F000') {
        await pool.end().catch(() => {});
        throw describeFailure(url, e);
      }
    }
    if (current !== SCHEMA_VERSION) await db.transaction((c) => migrate(c, redactUrl(url)));
    return new PostgresStudyStorage(db);
  }

  private ids(): { study: number; header: StudyHeader } {
    if (this.studyId === null || !this.header)
      throw NerveError.raw('study storage', 'openStudy was not called');
    return { study: this.studyId, header: this.header };
  }

  async openStudy(def: StudyDefinition): Promise<OpenedStudy> {
    const text = JSON.stringify(def.header);
    // Joining a study that plans enough trials is one read: a header never changes once stored
    // and `planned` only grows, so no lock is needed (workers starting together do not queue on
    // the study's row). Creating or extending it takes the transaction below.
    const known = await this.db.query<{ id: number; header: string; planned: number }>(
      `SELECT id, header, planned FROM ${T}.studies WHERE name = $1`,
      [def.name],
    );
    const existing = known.rows[0];
    if (existing && existing.planned >= def.trials) {
      this.refuseMismatch(def, existing.header);
      this.studyId = existing.id;
      this.header = def.header;
      return { created: false };
    }
    const r = await this.db.transaction(async (c) => {
      const ins = await c.query<{ id: number }>(
        `INSERT INTO ${T}.studies (name, header, planned) VALUES ($1, $2, 0)
         ON CONFLICT (name) DO NOTHING RETURNING id`,
        [def.name, text],
      );
      const created = ins.rows.length === 1;
      const row = (
        await c.query<{ id: number; header: string; planned: number }>(
          `SELECT id, header, planned FROM ${T}.studies WHERE name = $1 FOR UPDATE`,
          [def.name],
        )
      ).rows[0];
      if (!created) this.refuseMismatch(def, row.header);
      if (def.trials > row.planned) {
        const ids = Array.from({ length: def.trials - row.planned }, (_, i) => row.planned + i);
        await c.query(
          `INSERT INTO ${T}.trials (study_id, id, params)
           SELECT $1, i, p FROM unnest($2::int[], $3::json[]) AS u(i, p)`,
          [row.id, ids, ids.map((id) => JSON.stringify(def.params(id)))],
        );
        await c.query(`UPDATE ${T}.studies SET planned = $2 WHERE id = $1`, [row.id, def.trials]);
        // Idle workers of the study wake for the new trials (waitForWork).
        await c.query(`SELECT pg_notify($1, 'queued')`, [this.channel(row.id)]);
      }
      return { id: row.id, created };
    });
    this.studyId = r.id;
    this.header = def.header;
    return { created: r.created };
  }

  /** Throws when the stored header `stored` differs from the definition's, naming the field. */
  private refuseMismatch(def: StudyDefinition, stored: string): void {
    const why = headerMismatch(JSON.parse(stored) as StudyHeader, def.header);
    if (why) {
      throw NerveError.raw(
        'study storage',
        `refusing to join study '${def.name}' at ${this.location}: ${why.replace(/^it was written/, 'it was created')}. Use another study name for a different study.`,
      );
    }
  }

  async readStudy(name: string): Promise<StoredStudy | null> {
    const r = await this.db.query<{ header: string; planned: number }>(
      `SELECT header, planned FROM ${T}.studies WHERE name = $1`,
      [name],
    );
    const row = r.rows[0];
    return row ? { header: JSON.parse(row.header) as StudyHeader, planned: row.planned } : null;
  }

  async claim(worker: string, opts: { below?: number } = {}): Promise<ClaimedTrial | null> {
    const { study } = this.ids();
    const r = await this.db.query<{ id: number; params: ClaimedTrial['params']; attempts: number }>(
      claimSql('$2', '$3'),
      [study, worker, opts.below ?? 2 ** 31 - 1],
      'nerve_tune_claim',
    );
    const row = r.rows[0];
    return row ? { id: row.id, params: row.params, attempt: row.attempts } : null;
  }

  async heartbeat(id: number, worker: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE ${T}.trials SET heartbeat_at = now()
        WHERE study_id = $1 AND id = $2 AND worker = $3 AND state = 'running'`,
      [this.ids().study, id, worker],
      'nerve_tune_heartbeat',
    );
    return r.rowCount === 1;
  }

  async report(id: number, worker: string, epoch: number, metrics: Metrics): Promise<boolean> {
    const { study, header } = this.ids();
    const r = await this.db.query(
      `INSERT INTO ${T}.trial_values (study_id, trial_id, epoch, value, metrics)
       SELECT $1, $2, $4, $5, $6 FROM ${T}.trials
        WHERE study_id = $1 AND id = $2 AND worker = $3 AND state = 'running'
       ${UPSERT_VALUE}`,
      [study, id, worker, epoch, String(metrics[header.metric]), metricsJson(metrics)],
      'nerve_tune_report',
    );
    return r.rowCount === 1;
  }

  async rung(id: number, rung: number, value: number): Promise<RungOutcome> {
    const { study, header } = this.ids();
    return this.db.transaction(async (c) => {
      const known = await c.query<{ decision: Decision }>(
        `SELECT decision FROM ${T}.rung_decisions WHERE study_id = $1 AND trial_id = $2 AND rung = $3`,
        [study, id, rung],
      );
      if (known.rows[0]) return { decided: known.rows[0].decision };
      const peers = await c.query<{ id: number; ended: boolean; v: number | null }>(
        `SELECT t.id, t.state IN ('complete', 'pruned', 'failed') AS ended,
                (SELECT v.value FROM ${T}.trial_values v
                  WHERE v.study_id = t.study_id AND v.trial_id = t.id AND v.epoch >= $3
                  ORDER BY v.epoch LIMIT 1) AS v
           FROM ${T}.trials t WHERE t.study_id = $1 AND t.id < $2`,
        [study, id, rung],
      );
      const o = rungOutcome(
        id,
        rung,
        value,
        peers.rows.map((p) => ({
          id: p.id,
          ended: p.ended,
          rungValue: p.v === null ? undefined : num(p.v),
        })),
        header,
      );
      if ('decided' in o) {
        await c.query(
          `INSERT INTO ${T}.rung_decisions (study_id, trial_id, rung, decision)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [study, id, rung, JSON.stringify(o.decided)],
        );
      }
      return o;
    });
  }

  async finish(id: number, worker: string, record: TrialRecord): Promise<boolean> {
    const { study } = this.ids();
    const value = finalValue(record);
    const r = await this.db.query(
      `UPDATE ${T}.trials SET state = $4, value = $5, record = $6, finished_at = now()
        WHERE study_id = $1 AND id = $2 AND worker = $3 AND state = 'running'`,
      [study, id, worker, finalState(record), value, encodeTrial(record)],
    );
    if (r.rowCount === 1) return true;
    // A retry whose first try committed (the reply was lost) finds its own result there.
    const again = await this.db.query<{ worker: string; state: TrialState }>(
      `SELECT worker, state FROM ${T}.trials WHERE study_id = $1 AND id = $2`,
      [study, id],
    );
    const row = again.rows[0];
    return row?.worker === worker && ['complete', 'pruned', 'failed'].includes(row.state);
  }

  /**
   * finish() of each result and a claim of up to `limit` trials in one
   * statement, one round trip: the worker's loop records what it ran and
   * takes the next queued trials together (several of each when its trials
   * are short; runStudyWorker's batchMs). A claim cannot take a trial being
   * recorded (it is running, not queued). A retry whose first try committed
   * finds those results stored by this worker (the statement reads the table
   * as it was before its own updates) and counts them recorded; the trials
   * the lost reply claimed stay running without heartbeats and are re-queued
   * after the grace period, as with a retried claim(). A result's `last`
   * epoch is inserted as report() inserts it, only when the result is stored.
   */
  async recordAndClaim(
    worker: string,
    results: TrialResult[],
    limit: number,
  ): Promise<RecordedAndClaimed> {
    const { study, header } = this.ids();
    const col = <V>(f: (r: TrialResult) => V) => results.map(f);
    // float8 takes 'NaN' and 'Infinity'; node-postgres sends numbers as their text.
    const r = await this.db.query<{
      kind: 'recorded' | 'next';
      id: number;
      params: ClaimedTrial['params'];
      attempts: number;
    }>(
      `WITH r AS (
         SELECT * FROM unnest($3::int[], $4::text[], $5::float8[], $6::json[],
                              $7::int[], $8::float8[], $9::json[])
           AS r(id, state, value, record, epoch, epoch_value, metrics)),
       done AS (
         UPDATE ${T}.trials t
            SET state = r.state, value = r.value, record = r.record, finished_at = now()
           FROM r
          WHERE t.study_id = $1 AND t.id = r.id AND t.worker = $2 AND t.state = 'running'
          RETURNING t.id),
       reported AS (
         INSERT INTO ${T}.trial_values (study_id, trial_id, epoch, value, metrics)
         SELECT $1, r.id, r.epoch, r.epoch_value, r.metrics FROM r JOIN done ON done.id = r.id
          WHERE r.epoch IS NOT NULL
         ${UPSERT_VALUE}),
       next AS (${claimSql('$2', String(2 ** 31 - 1), '$10')})
       SELECT 'recorded' AS kind, id, NULL::json AS params, NULL::int AS attempts FROM done
       UNION ALL
       SELECT 'recorded', t.id, NULL, NULL FROM ${T}.trials t JOIN r ON r.id = t.id
        WHERE t.study_id = $1 AND t.worker = $2 AND t.state IN ('complete', 'pruned', 'failed')
       UNION ALL
       SELECT 'next', id, params, attempts FROM next`,
      [
        study,
        worker,
        col((x) => x.id),
        col((x) => finalState(x.record)),
        col((x) => finalValue(x.record)),
        col((x) => encodeTrial(x.record)),
        col((x) => x.last?.epoch ?? null),
        col((x) => (x.last ? String(x.last.metrics[header.metric]) : null)),
        col((x) => (x.last ? metricsJson(x.last.metrics) : null)),
        limit,
      ],
      'nerve_tune_record_claim',
    );
    const recorded: number[] = [];
    const next: ClaimedTrial[] = [];
    for (const row of r.rows) {
      if (row.kind === 'recorded') recorded.push(row.id);
      else next.push({ id: row.id, params: row.params, attempt: row.attempts });
    }
    next.sort((a, b) => a.id - b.id);
    return { recorded, next };
  }

  /**
   * Puts the study's running trials that match `where` (placeholders from $3,
   * `values`) back in the queue and returns their ids. A trial going back
   * wakes the idle workers (waitForWork); PostgreSQL sends one NOTIFY per
   * transaction for equal ones.
   */
  private async requeue(where: string, values: unknown[], name?: string): Promise<number[]> {
    const r = await this.db.query<{ id: number }>(
      `WITH r AS (
         UPDATE ${T}.trials SET state = 'queued'
          WHERE study_id = $1 AND state = 'running' AND ${where}
          RETURNING id)
       SELECT id, pg_notify($2, 'queued') FROM r`,
      [this.ids().study, this.channel(), ...values],
      name,
    );
    return r.rows.map((x) => x.id).sort((a, b) => a - b);
  }

  async release(id: number, worker: string): Promise<void> {
    await this.requeue('id = $3 AND worker = $4', [id, worker]);
  }

  requeueStale(graceMs: number): Promise<number[]> {
    return this.requeue(
      'heartbeat_at < now() - make_interval(secs => $3)',
      [graceMs / 1000],
      'nerve_tune_requeue',
    );
  }

  /**
   * Resolves after `ms`, or as soon as another worker of the study says
   * that a trial went back to the queue or that the study finished
   * (PostgreSQL's LISTEN/NOTIFY), so idle workers neither poll often nor
   * keep the study's end waiting. The first call, and the first after the
   * listening connection was replaced, only runs LISTEN and returns: the
   * caller looks again, and a NOTIFY from then on is not missed. Behind a
   * pooler in transaction mode, where LISTEN does not hold, it is a plain wait.
   */
  async waitForWork(ms: number): Promise<void> {
    if (this.listeningAt !== this.db.connections) {
      this.listeningAt = this.db.connections;
      await this.db.query(`LISTEN ${this.channel()}`).catch(() => {
        this.listeningAt = -1;
      });
      return;
    }
    if (!this.notified) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => this.wake?.(), ms);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
      });
    }
    this.notified = false;
  }

  async trials(): Promise<StoredTrial[]> {
    const { study } = this.ids();
    const r = await this.db.query<{
      id: number;
      state: TrialState;
      params: StoredTrial['params'];
      value: number | null;
      worker: string | null;
      attempts: number;
      record: unknown;
      intermediate: [number, number | string][];
    }>(
      `SELECT t.id, t.state, t.params, t.value, t.worker, t.attempts, t.record,
              coalesce((SELECT json_agg(json_build_array(v.epoch, v.value) ORDER BY v.epoch)
                          FROM ${T}.trial_values v
                         WHERE v.study_id = t.study_id AND v.trial_id = t.id), '[]') AS intermediate
         FROM ${T}.trials t WHERE t.study_id = $1 ORDER BY t.id`,
      [study],
    );
    return r.rows.map((row) => ({
      id: row.id,
      state: row.state,
      params: row.params,
      value: row.value === null ? null : num(row.value),
      intermediate: row.intermediate.map(([epoch, v]) => ({ epoch, value: num(v) })),
      worker: row.worker,
      attempts: row.attempts,
      record: row.record === null ? null : decodeTrial(row.record),
    }));
  }

  /**
   * The best trial by bestTrial's order in one row: `value` is the record's
   * objective when finite and null otherwise, and failed trials never rank.
   * Workers call this at the end of a study instead of trials(), which reads
   * every trial with its intermediate values (each of N workers reading all
   * of T trials is N × T rows at the study's end).
   */
  async summary(mode: 'min' | 'max'): Promise<StudySummary> {
    const r = await this.db.query<{ planned: number; record: unknown }>(
      `SELECT s.planned,
              (SELECT t.record FROM ${T}.trials t
                WHERE t.study_id = s.id AND t.state IN ('complete', 'pruned') AND t.value IS NOT NULL
                ORDER BY t.state = 'pruned', t.value ${mode === 'min' ? 'ASC' : 'DESC'}, t.id
                LIMIT 1) AS record
         FROM ${T}.studies s WHERE s.id = $1`,
      [this.ids().study],
    );
    const row = r.rows[0];
    return {
      planned: row.planned,
      best: row.record === null ? null : decodeTrial(row.record),
    };
  }

  async unfinished(): Promise<number> {
    // Two counts, one per partial index: `state IN (…)` matches neither index's predicate,
    // and was a scan of every study's trials on each idle worker's poll. A worker that finds
    // the study finished wakes the idle ones (waitForWork).
    const r = await this.db.query<{ n: number }>(
      `SELECT n, CASE WHEN n = 0 THEN pg_notify($2, 'finished') END
         FROM (SELECT ((SELECT count(*) FROM ${T}.trials WHERE study_id = $1 AND state = 'queued')
                     + (SELECT count(*) FROM ${T}.trials WHERE study_id = $1 AND state = 'running'))::int AS n) c`,
      [this.ids().study, this.channel()],
      'nerve_tune_unfinished',
    );
    return r.rows[0].n;
  }

  async queuedAmong(ids: number[]): Promise<number[]> {
    const r = await this.db.query<{ id: number }>(
      `SELECT id FROM ${T}.trials WHERE study_id = $1 AND id = ANY($2::int[]) AND state = 'queued'`,
      [this.ids().study, ids],
    );
    return r.rows.map((x) => x.id);
  }

  async close(): Promise<void> {
    await this.db.end();
  }
}
