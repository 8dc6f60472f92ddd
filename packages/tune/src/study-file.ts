/**
 * The study file: JSON lines, a header first (the space's canonical JSON,
 * the seed, the searcher, metric and pruners), then one line per finished
 * trial, appended with a single write and an fsync the moment the trial
 * ends. A crash can only cut the last line short; reading drops such a line
 * (rewriting the file atomically: temp file, fsync, rename, fsync of the
 * directory) so that trial simply runs again.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { NerveError } from '@nerve/core/base';
import { acquireStudyLock, releaseStudyLock } from './study-lock.js';
import { type TrialRecord, decodeTrial, encodeTrial } from './trial.js';

/** What the first line of a study file records. */
export interface StudyHeader {
  /** Marks the line as a study header. */
  type: 'study';
  /** The file format's version. */
  format: 1;
  /** The search space's canonical JSON (Space.fingerprint()). */
  space: string;
  /** The study's seed. */
  seed: number;
  /** The searcher's settings. */
  searcher: object;
  /** Name of the metric the objective reports. */
  metric: string;
  /** Whether lower ('min') or higher ('max') is better. */
  mode: 'min' | 'max';
  /** The pruners' settings. */
  pruners: object[];
}

/** A study file's contents. */
export interface StudyFileContents {
  /** The first line. */
  header: StudyHeader;
  /** The finished trials, in file order. */
  trials: TrialRecord[];
  /** A torn last line was found (and, when repairing, removed). */
  droppedLastLine: boolean;
}

const op = 'study file';

/** The line types a shared study's workers append besides finished trials. */
export const SHARED_EVENTS = new Set([
  'plan',
  'claim',
  'beat',
  'report',
  'rung',
  'requeue',
  'release',
]);

function fsyncDir(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Replaces `path` with `text` atomically and durably. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, Buffer.from(text, 'utf8'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(path);
}

function writeAll(fd: number, buf: Buffer): void {
  const n = writeSync(fd, buf, 0, buf.length);
  // One write call holds the whole line; a short write (disk full) must not pass silently.
  if (n !== buf.length) throw NerveError.raw(op, `short write: ${n} of ${buf.length} bytes`);
}

/**
 * Reads a study file. A last line that is cut short (no newline, or not
 * JSON) is reported as dropped; with `repair` the file is rewritten without
 * it. Any other damage is an error: it cannot come from a crash mid-append.
 */
export function readStudyFile(path: string, opts: { repair?: boolean } = {}): StudyFileContents {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // Text ending in '\n' leaves an empty last piece; anything else there is a torn line.
  const tail = lines.pop() as string;
  let droppedLastLine = tail.length > 0;
  const parsed: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      parsed.push(JSON.parse(line));
    } catch {
      if (i === lines.length - 1 && !droppedLastLine) {
        droppedLastLine = true;
        continue;
      }
      throw NerveError.raw(
        op,
        `${path}: line ${i + 1} is not valid JSON and is not the last line, so it is not a torn append; refusing to guess (move the file away to start over)`,
      );
    }
  }
  if (parsed.length === 0) {
    throw NerveError.raw(
      op,
      `${path}: no complete header line${droppedLastLine ? ' (the file holds only a torn line)' : ''}`,
    );
  }
  const header = parsed[0] as StudyHeader;
  if (header?.type !== 'study' || header.format !== 1 || typeof header.space !== 'string') {
    throw NerveError.raw(op, `${path}: the first line is not a nerve study header`);
  }
  const trials: TrialRecord[] = [];
  for (const [i, l] of parsed.slice(1).entries()) {
    // A shared study's file also holds worker events (claims, heartbeats, epochs: study-jsonl.ts).
    if (SHARED_EVENTS.has((l as { type?: string })?.type ?? '')) continue;
    try {
      trials.push(decodeTrial(l));
    } catch (e) {
      throw NerveError.raw(op, `${path}: line ${i + 2}: ${(e as Error).message}`);
    }
  }
  const ids = new Set<number>();
  for (const t of trials) {
    if (ids.has(t.id)) throw NerveError.raw(op, `${path}: trial ${t.id} appears twice`);
    ids.add(t.id);
  }
  if (droppedLastLine && opts.repair) {
    const keep = [header, ...trials].length;
    writeAtomic(path, `${lines.slice(0, keep).join('\n')}\n`);
  }
  return { header, trials, droppedLastLine };
}

/** Why two headers cannot share a file, or null when they can. */
export function headerMismatch(file: StudyHeader, study: StudyHeader): string | null {
  if (file.space !== study.space) {
    return `it was written for a different search space (file: ${file.space}; this study: ${study.space})`;
  }
  const fields = ['seed', 'searcher', 'metric', 'mode', 'pruners'] as const;
  for (const f of fields) {
    const a = JSON.stringify(file[f]);
    const b = JSON.stringify(study[f]);
    if (a !== b) return `it was written with a different ${f} (file: ${a}; this study: ${b})`;
  }
  return null;
}

/** An open study file that trials are appended to. */
export class StudyFile {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly lock: string,
  ) {
    this.fd = fd;
  }

  /**
   * Opens `path` for `header`: locks it (refusing when another process has
   * it open), then creates it, or reads the trials already there (dropping
   * a torn last line). Refuses a file of another study.
   */
  static open(path: string, header: StudyHeader): { file: StudyFile; trials: TrialRecord[] } {
    const lock = acquireStudyLock(path);
    try {
      const trials = StudyFile.load(path, header);
      return { file: new StudyFile(path, openSync(path, 'a'), lock), trials };
    } catch (e) {
      releaseStudyLock(lock);
      throw e;
    }
  }

  private static load(path: string, header: StudyHeader): TrialRecord[] {
    let trials: TrialRecord[] = [];
    if (existsSync(path)) {
      const c = readStudyFile(path, { repair: false });
      const why = headerMismatch(c.header, header);
      if (why) {
        throw NerveError.raw(
          'runStudy',
          `refusing to use the study file ${path}: ${why}. Use a new file for a new study; trials of different studies are never mixed.`,
        );
      }
      if (c.droppedLastLine) readStudyFile(path, { repair: true });
      trials = c.trials;
    } else {
      writeAtomic(path, `${JSON.stringify(header)}\n`);
    }
    return trials;
  }

  /** Appends one trial line durably: one write, then fsync. */
  append(record: TrialRecord): void {
    if (this.fd === null) throw NerveError.raw(op, `${this.path} is closed`);
    writeAll(this.fd, Buffer.from(`${encodeTrial(record)}\n`, 'utf8'));
    fsyncSync(this.fd);
  }

  /** Closes the file and releases its lock. */
  close(): void {
    try {
      if (this.fd !== null) closeSync(this.fd);
    } finally {
      this.fd = null;
      releaseStudyLock(this.lock);
    }
  }
}
