/**
 * The PostgreSQL study schema and its migrations. Everything lives in the
 * `nerve_tune` schema; `nerve_tune.schema_version` holds one row per applied
 * migration. Migrations run in one transaction under an advisory lock, so
 * many workers starting at once apply each exactly once; a database newer
 * than this nerve is refused instead of being written with an old layout.
 *
 * Column types: parameters, records and metrics are `json` (not `jsonb`) so
 * that key order survives the round trip and a stored trial reads back
 * exactly as a serial run's record.
 */
import type { PoolClient } from 'pg';
import { NerveError } from '@nerve/core/base';

/** Migrations in order; migration n brings the schema to version n. */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE nerve_tune.studies (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  header text NOT NULL,
  planned integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE nerve_tune.trials (
  study_id integer NOT NULL REFERENCES nerve_tune.studies (id) ON DELETE CASCADE,
  id integer NOT NULL,
  params json NOT NULL,
  state text NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'complete', 'pruned', 'failed')),
  worker text,
  attempts integer NOT NULL DEFAULT 0,
  claimed_at timestamptz,
  heartbeat_at timestamptz,
  finished_at timestamptz,
  value double precision,
  record json,
  PRIMARY KEY (study_id, id)
);
CREATE INDEX trials_queued ON nerve_tune.trials (study_id, id) WHERE state = 'queued';
CREATE INDEX trials_running ON nerve_tune.trials (study_id, heartbeat_at) WHERE state = 'running';
CREATE TABLE nerve_tune.trial_values (
  study_id integer NOT NULL,
  trial_id integer NOT NULL,
  epoch integer NOT NULL,
  value double precision NOT NULL,
  metrics json NOT NULL,
  reported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (study_id, trial_id, epoch),
  FOREIGN KEY (study_id, trial_id) REFERENCES nerve_tune.trials (study_id, id) ON DELETE CASCADE
);
CREATE TABLE nerve_tune.rung_decisions (
  study_id integer NOT NULL,
  trial_id integer NOT NULL,
  rung integer NOT NULL,
  decision json NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (study_id, trial_id, rung),
  FOREIGN KEY (study_id, trial_id) REFERENCES nerve_tune.trials (study_id, id) ON DELETE CASCADE
);
`,
  },
  {
    // Heartbeats as HOT updates (in place on the heap page, no index entry written): a
    // heartbeat changes only heartbeat_at, which version 1 indexed in trials_running, so
    // every beat wrote a new tuple into every index. Requeueing reads the running trials
    // (at most one per worker) by study and filters on the heartbeat. Fillfactor 70 leaves
    // room on each page for the new versions; rows written before this migration keep
    // their full pages until rewritten (VACUUM FULL, not run here: it locks the table).
    version: 2,
    sql: `
DROP INDEX nerve_tune.trials_running;
CREATE INDEX trials_running ON nerve_tune.trials (study_id) WHERE state = 'running';
ALTER TABLE nerve_tune.trials SET (fillfactor = 70);
`,
  },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings the database's schema up to `target` (default SCHEMA_VERSION; tests
 * build older layouts with a smaller one) inside the caller's transaction.
 */
export async function migrate(
  c: Pick<PoolClient, 'query'>,
  url: string,
  target: number = SCHEMA_VERSION,
): Promise<number[]> {
  // One key for every nerve process: concurrent first starts take turns.
  await c.query(`SELECT pg_advisory_xact_lock(hashtext('nerve_tune.migrate'))`);
  await c.query('CREATE SCHEMA IF NOT EXISTS nerve_tune');
  await c.query(`CREATE TABLE IF NOT EXISTS nerve_tune.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const r = await c.query<{ v: number | null }>(
    'SELECT max(version) AS v FROM nerve_tune.schema_version',
  );
  const current = r.rows[0].v ?? 0;
  if (current > SCHEMA_VERSION) {
    throw NerveError.raw(
      'study storage',
      `${url}: the database's study schema is version ${current}, newer than this nerve's ${SCHEMA_VERSION}; upgrade nerve`,
    );
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    await c.query(m.sql);
    await c.query('INSERT INTO nerve_tune.schema_version (version) VALUES ($1)', [m.version]);
    applied.push(m.version);
  }
  return applied;
}
