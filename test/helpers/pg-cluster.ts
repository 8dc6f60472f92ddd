/**
 * A throwaway PostgreSQL cluster for the storage tests: a real server, never
 * a mock. initdb in a temporary directory, the server on 127.0.0.1 at a free
 * port (its unix socket in the same directory), trust for the test user
 * `nerve` and password auth (scram) for `pwuser`, so the wrong-password
 * error can be tested. Stopped by stop(), and by an exit hook when a test
 * fails before that.
 *
 * initdb refuses to run as root, and CI runs as root: then every server
 * command runs as the `postgres` system user (created by Debian's
 * postgresql package) through `runuser -u postgres --`, and the temporary
 * directory is handed to that user first. As any other user the commands
 * run directly.
 *
 * The binaries are taken from NERVE_PG_BIN, or the newest
 * /usr/lib/postgresql/<version>/bin (Debian's layout).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where initdb and pg_ctl are, or null when PostgreSQL is not installed. */
export function postgresBin(): string | null {
  if (process.env.NERVE_PG_BIN) return process.env.NERVE_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0], 'bin') : null;
}

/** A running throwaway cluster. */
export interface PgCluster {
  /** The TCP port. */
  port: number;
  /** A URL for `database` as `user` (default: nerve, trusted, no password). */
  url(database?: string, user?: string, password?: string): string;
  /** Restarts the server (fast shutdown: open connections are cut, as in a real restart). */
  restart(): void;
  /** Stops the server (fast shutdown) and keeps its data: a database that went away. */
  pause(): void;
  /** Starts the paused server again. */
  resume(): void;
  /** Stops the server and removes its directory. */
  stop(): void;
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

/** Options of startCluster. */
export interface ClusterOptions {
  /** The server's max_connections (default 100; the scale simulation needs more). */
  maxConnections?: number;
}

/** Starts a cluster with the database `nerve_test`, and the role `pwuser` (password 'right') owning `pwuser_db`. */
export async function startCluster(options: ClusterOptions = {}): Promise<PgCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'nerve-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  const data = join(dir, 'data');
  const port = await freePort();
  // --no-sync and fsync=off: the tests kill workers and restart the server, never the machine.
  run('initdb', ['-D', data, '-U', 'nerve', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all nerve 127.0.0.1/32 trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=${options.maxConnections ?? 100}`;
  const log = join(dir, 'server.log');
  const ctl = (...args: string[]) =>
    run('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', ...args]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      ctl('-m', 'immediate', 'stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A failing test file still stops its server.
  process.once('exit', stop);
  ctl('start');
  const url = (database = 'nerve_test', user = 'nerve', password?: string) =>
    `postgresql://${user}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${database}`;
  // psql, not the pg package: this helper serves tests and benches of several packages.
  const sql = (statement: string) => {
    const r = spawnSync(
      join(bin, 'psql'),
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url('postgres'), '-c', statement],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr || r.stdout}`);
  };
  sql('CREATE DATABASE nerve_test');
  sql(`CREATE ROLE pwuser LOGIN PASSWORD 'right'`);
  sql('CREATE DATABASE pwuser_db OWNER pwuser');
  return {
    port,
    url,
    restart: () => ctl('-m', 'fast', 'restart'),
    pause: () => ctl('-m', 'fast', 'stop'),
    resume: () => ctl('start'),
    stop,
  };
}
