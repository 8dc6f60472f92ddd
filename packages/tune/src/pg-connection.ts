/**
 * node-postgres plumbing for the PostgreSQL study storage: a small pool,
 * transactions, retry with backoff while the server is away (a restart, a
 * dropped connection), and one-line errors that name the storage URL
 * without its password.
 */
import { NerveError } from '@nerve/core/base';
import type { Pool, PoolClient } from 'pg';

/**
 * node-postgres, imported on first use. pg decides at import whether it
 * runs on Cloudflare Workers: when there is no `navigator` (Node 20 has
 * none; Node 21 and later have one) it builds a `Response` to probe for
 * Cloudflare's `cf` property, and touching `Response` loads Node's whole
 * fetch implementation (undici, zlib, …): about 50 ms of CPU in every worker
 * process, more than 50 trials' storage work. A `navigator` naming Node.js
 * answers the probe instead; it exists only while pg's modules evaluate and
 * is removed before this returns (Node 21+ keeps its own, untouched).
 */
export async function importPg(): Promise<typeof import('pg').default> {
  const g = globalThis as { navigator?: unknown };
  const shim = g.navigator === undefined;
  if (shim) {
    Object.defineProperty(g, 'navigator', {
      value: { userAgent: `Node.js/${process.versions.node}` },
      configurable: true,
      writable: true,
    });
  }
  try {
    return (await import('pg')).default;
  } finally {
    if (shim) Reflect.deleteProperty(g, 'navigator');
  }
}

const op = 'study storage';

/** The URL with its password left out, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@');
  }
}

/** SQLSTATE classes and codes that mean "the connection or the server went away; try again". */
const TRANSIENT_CODES = new Set([
  '57P01', // admin_shutdown (a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
]);
const TRANSIENT_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Whether `e` is a dropped connection or a server that is restarting (worth a retry). */
export function isTransient(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (typeof err?.code === 'string') {
    if (TRANSIENT_CODES.has(err.code) || TRANSIENT_ERRNO.has(err.code)) return true;
    if (err.code.startsWith('08')) return true; // connection_exception class
  }
  // "timeout exceeded when trying to connect": the pool could not open a connection in time,
  // as when an overloaded server is slow to start backends (the scale simulation at 256 workers).
  return /Connection terminated|connection error|not queryable|server closed the connection|timeout exceeded when trying to connect/i.test(
    String(err?.message),
  );
}

/** One line saying what went wrong with the database at `url`. */
export function describeFailure(url: string, e: unknown): NerveError {
  const shown = redactUrl(url);
  const err = e as { code?: string; message?: string; hostname?: string };
  let u: URL | null = null;
  try {
    u = new URL(url);
  } catch {
    // Reported below as a bad URL.
  }
  const user = u ? decodeURIComponent(u.username) || '(default user)' : '';
  const db = u ? decodeURIComponent(u.pathname.slice(1)) || user : '';
  const why = (() => {
    switch (err?.code) {
      case '28P01':
        return `password authentication failed for user '${user}'`;
      case '28000':
        return `the server refuses user '${user}' (${err.message})`;
      case '3D000':
        return `database '${db}' does not exist (create it first, e.g. createdb ${db})`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `host '${u?.hostname ?? err.hostname}' not found`;
      case 'ECONNREFUSED':
        return 'connection refused (is PostgreSQL running and listening there?)';
      default:
        return String(err?.message ?? e).split('\n')[0];
    }
  })();
  return NerveError.raw(op, `${shown}: ${why}`);
}

/** Checks a storage URL before any connection; throws a one-line error naming what is wrong. */
export function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw NerveError.raw(
      op,
      `${redactUrl(url)} is not a valid URL (expected postgresql://user:password@host:port/database)`,
    );
  }
  if (!/^postgres(ql)?:$/.test(u.protocol)) {
    throw NerveError.raw(op, `${redactUrl(url)}: expected a postgresql:// URL`);
  }
  if (u.port !== '' && !(Number(u.port) > 0 && Number(u.port) < 65536)) {
    throw NerveError.raw(op, `${redactUrl(url)}: port ${u.port} is not a TCP port`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry settings: the first wait, the longest wait, and how long to keep trying. */
export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
  giveUpAfterMs: number;
}

/** A pool with retries and readable failures. */
export class PgConnection {
  /** Whether named (prepared) statements work here; false once a pooler showed they do not. */
  private named = true;
  /**
   * Counts connections opened and removed: a LISTEN holds for the
   * connection that ran it, so a listener whose count changed listens again.
   */
  connections = 0;
  /** Called with the channel of every NOTIFY this process's connections listen to. */
  onNotification: ((channel: string) => void) | null = null;
  constructor(
    readonly url: string,
    private readonly pool: Pool,
    private readonly retry: RetryPolicy,
  ) {
    // An idle client whose server went away emits 'error' on the pool; the next query reconnects.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      this.connections++;
      client.on('notification', (m) => this.onNotification?.(m.channel));
    });
    pool.on('remove', () => {
      this.connections++;
    });
  }

  /** Runs `fn`, retrying with exponential backoff (doubling, capped) while the failure is transient. */
  async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retry.giveUpAfterMs;
    let wait = this.retry.firstMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!isTransient(e) || Date.now() + wait > deadline) throw describeFailure(this.url, e);
        await sleep(wait);
        wait = Math.min(this.retry.maxMs, wait * 2);
      }
    }
  }

  /**
   * One statement (its own transaction), retried. A `name` makes it a
   * prepared statement: each connection parses and plans it once (the
   * per-trial statements of the worker's loop).
   */
  async query<R extends object = Record<string, unknown>>(
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<{ rows: R[]; rowCount: number }> {
    return this.withRetry(async () => {
      if (name && this.named) {
        try {
          const r = await this.pool.query({ name, text, values });
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        } catch (e) {
          // A pooler in transaction mode (PgBouncer before 1.21) hands each statement to any
          // server connection, where the name is already taken (42P05) or was never prepared
          // (26000). Either fails before executing: run it unnamed, from now on.
          const code = (e as { code?: string }).code;
          if (code !== '42P05' && code !== '26000') throw e;
          this.named = false;
        }
      }
      const r = await this.pool.query({ text, values });
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    });
  }

  /** `fn` in one transaction (BEGIN … COMMIT), retried as a whole. */
  async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.withRetry(async () => {
      const c = await this.pool.connect();
      let broken: Error | undefined;
      // A server going away between two statements emits 'error' on the checked-out client;
      // unheard, that would end the process. The next statement then fails and is retried.
      const onError = (e: Error) => {
        broken = e;
      };
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        broken = e as Error;
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        // A client whose connection broke is destroyed rather than returned to the pool.
        c.removeListener('error', onError);
        c.release(broken !== undefined && isTransient(broken) ? broken : undefined);
      }
    });
  }

  /** Closes every connection. */
  async end(): Promise<void> {
    await this.pool.end();
  }
}
