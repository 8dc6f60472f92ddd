/**
 * One process per study file. Two processes appending to one file ran every
 * trial twice and left duplicate ids that no longer load, so a study file is
 * locked while open: `<file>.lock`, created with O_EXCL (exactly one process
 * can create it), holding the holder's pid, host name and start time.
 *
 * A second process is refused with the holder named. A lock whose pid is
 * dead on this host (a SIGKILLed run) is stale and taken over. The lock is
 * removed when the study file is closed (normal end or error) and by an
 * exit hook (process.exit, e.g. the CLI's Ctrl-C). Sharing one study between
 * processes is a later step (a database), not this lock's job.
 *
 * withStudyLock takes the same lock for one short operation of a shared
 * study (study-jsonl.ts): it waits while another process holds it, is
 * re-entrant within an operation, and takes over a lock whose holder died.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { NerveError } from '@nerve/core/base';

/** What a lock file records about its holder. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** When the holder took the lock (ISO 8601). */
  started: string;
}

const op = 'study file';
const held = new Map<string, string>();
let hooked = false;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** The holder recorded in `lock`, or null when it cannot be read (just created, or damaged). */
export function readLockHolder(lock: string): LockHolder | null {
  try {
    const o = JSON.parse(readFileSync(lock, 'utf8'));
    if (Number.isSafeInteger(o?.pid) && typeof o.hostname === 'string') {
      return { pid: o.pid, hostname: o.hostname, started: String(o.started) };
    }
  } catch {
    // Unreadable: treated as held (never as stale), so no live run loses its lock.
  }
  return null;
}

/** Whether process `pid` exists on this host (EPERM: it exists, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

function releaseAll(): void {
  for (const lock of [...held.keys()]) releaseStudyLock(lock);
}

/** A lock file that cannot be read this long after it was made is a holder that died mid-create. */
const UNREADABLE_STALE_MS = 10_000;

function unreadableAndOld(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > UNREADABLE_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * One try at the lock: its path when taken, else the holder (null when the
 * lock file cannot be read). A stale lock (dead holder on this host) is
 * removed and taken.
 */
function tryAcquire(path: string): { lock: string } | { holder: LockHolder | null } {
  const lock = `${path}.lock`;
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    started: new Date().toISOString(),
  };
  const text = JSON.stringify(me);
  // Two tries: the second after removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if (errno(e) === 'ENOENT') {
        throw new NerveError(
          op,
          'a study file in an existing folder',
          `'${path}': its folder ${dirname(path)} does not exist`,
        );
      }
      if (errno(e) !== 'EEXIST') {
        throw NerveError.raw(op, `cannot create the lock file ${lock}: ${(e as Error).message}`);
      }
      const holder = readLockHolder(lock);
      if (holder?.pid === process.pid && holder.hostname === me.hostname && held.has(lock)) {
        throw NerveError.raw(op, `${path} is already open in this process (lock file ${lock})`);
      }
      const stale =
        (holder !== null && holder.hostname === me.hostname && !alive(holder.pid)) ||
        (holder === null && unreadableAndOld(lock));
      if (stale && attempt === 0) {
        try {
          unlinkSync(lock);
        } catch (u) {
          if (errno(u) !== 'ENOENT') throw u;
        }
        continue;
      }
      return { holder };
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    held.set(lock, text);
    if (!hooked) {
      // Runs on normal exit and process.exit(); a killed process leaves a stale lock instead.
      process.on('exit', releaseAll);
      hooked = true;
    }
    return { lock };
  }
  return { holder: readLockHolder(lock) };
}

function inUse(path: string, holder: LockHolder | null): NerveError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} (since ${holder.started})`
    : 'another process (its lock file cannot be read)';
  return NerveError.raw(
    op,
    `${path} is in use by ${who}: two runs on one study file would run every trial twice. Wait for it to finish or use another study file; if no such process is running, delete ${path}.lock.`,
  );
}

/**
 * Takes the lock of study file `path`, returning the lock file's path.
 * Throws a NerveError naming the holder when another live process has it.
 */
export function acquireStudyLock(path: string): string {
  const r = tryAcquire(path);
  if ('lock' in r) return r.lock;
  throw inUse(path, r.holder);
}

const depth = new Map<string, number>();
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `fn` (synchronous: nothing else of this process runs while the lock
 * is held) under the lock of `path`, waiting up to `timeoutMs` while another
 * process holds it. Re-entrant: a nested call runs under the lock it holds.
 */
export function withStudyLock<T>(path: string, fn: () => T, timeoutMs = 30_000): T {
  const lock = `${path}.lock`;
  const d = depth.get(lock) ?? 0;
  if (d > 0) {
    depth.set(lock, d + 1);
    try {
      return fn();
    } finally {
      depth.set(lock, d);
    }
  }
  const deadline = Date.now() + timeoutMs;
  // Operations hold the lock for well under a millisecond: poll from 0.1 ms, doubling to 20 ms.
  let wait = 0.1;
  for (;;) {
    const r = tryAcquire(path);
    if ('lock' in r) break;
    if (Date.now() > deadline) throw inUse(path, r.holder);
    Atomics.wait(pause, 0, 0, wait);
    wait = Math.min(20, wait * 2);
  }
  depth.set(lock, 1);
  try {
    return fn();
  } finally {
    depth.delete(lock);
    releaseStudyLock(lock);
  }
}

/** Removes a lock this process holds (a lock taken over by another process is left alone). */
export function releaseStudyLock(lock: string): void {
  const mine = held.get(lock);
  if (mine === undefined) return;
  held.delete(lock);
  try {
    if (readFileSync(lock, 'utf8') === mine) unlinkSync(lock);
  } catch {
    // Already gone: nothing to release.
  }
}
