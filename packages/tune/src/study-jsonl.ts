/**
 * The JSON-lines study storage: processes on one machine share one study
 * file. Every operation takes the file's lock (study-lock.ts, held for well
 * under a millisecond), reads what other processes appended since its last
 * look, checks and appends its own event lines with one write, and lets go.
 *
 * The file is the study file runStudy writes (a header, then one `trial`
 * line per finished trial), with event lines in between: `plan` (how many
 * trials), `claim`, `beat`, `report` (an epoch's metrics), `rung` (an ASHA
 * decision), `requeue` and `release`. Replaying the lines gives the study's
 * state, so there is no second file to keep in step, and runStudy can still
 * read (and resume) a shared study's file.
 *
 * Only finished trials are fsynced: a lost claim or heartbeat after a power
 * cut just means the trial runs again. A line cut short (a writer killed
 * mid-write) can only be the last one, since every writer first reads to the
 * end under the lock; the next operation cuts it off.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { NerveError } from '@nerve/core/base';
import type { Decision } from './pruning.js';
import {
  type ClaimedTrial,
  type RungOutcome,
  type OpenedStudy,
  type StoredStudy,
  type StoredTrial,
  type StudyDefinition,
  type StudyStorage,
  type TrialState,
  finalState,
  finalValue,
  rungOutcome,
} from './storage.js';
import { type StudyHeader, headerMismatch } from './study-file.js';
import { alive, withStudyLock } from './study-lock.js';
import { type Metrics, type TrialRecord, decodeTrial, encodeTrial } from './trial.js';

interface Running {
  worker: string;
  pid: number;
  host: string;
  /** Last claim or heartbeat (ms since the epoch, this machine's clock). */
  beat: number;
}

/** A study's state, replayed from its lines. */
class FileState {
  header: StudyHeader | null = null;
  planned = 0;
  readonly finished = new Map<number, { record: TrialRecord; worker: string | null }>();
  readonly running = new Map<number, Running>();
  readonly attempts = new Map<number, number>();
  readonly reports = new Map<number, Map<number, Metrics>>();
  readonly rungs = new Map<string, Decision>();

  apply(line: Record<string, unknown>): void {
    const id = line.id as number;
    const owner = () => this.running.get(id)?.worker === line.worker;
    switch (line.type) {
      case 'study':
        this.header = line as unknown as StudyHeader;
        break;
      case 'plan':
        this.planned = Math.max(this.planned, line.trials as number);
        break;
      case 'claim':
        this.running.set(id, {
          worker: line.worker as string,
          pid: line.pid as number,
          host: line.host as string,
          beat: line.at as number,
        });
        this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1);
        break;
      case 'beat':
        if (owner()) (this.running.get(id) as Running).beat = line.at as number;
        break;
      case 'report': {
        const m: Metrics = {};
        for (const [k, v] of Object.entries(line.metrics as object))
          Object.defineProperty(m, k, {
            value: typeof v === 'number' ? v : Number.NaN,
            enumerable: true,
          });
        let r = this.reports.get(id);
        if (!r) this.reports.set(id, (r = new Map()));
        r.set(line.epoch as number, m);
        break;
      }
      case 'rung':
        this.rungs.set(`${id}:${line.rung}`, line.decision as Decision);
        break;
      case 'requeue':
      case 'release':
        if (owner()) this.running.delete(id);
        break;
      case 'trial':
        this.finished.set(id, {
          record: decodeTrial(line),
          worker: (line.worker as string | undefined) ?? null,
        });
        this.running.delete(id);
        break;
      default:
        throw NerveError.raw('study file', `unknown line type ${JSON.stringify(line.type)}`);
    }
  }

  /** Trial `id`'s value of `metric` at `rung`: its first report at or past it. */
  rungValue(id: number, rung: number, metric: string): number | undefined {
    const r = this.reports.get(id);
    if (!r) return undefined;
    const epochs = [...r.keys()].filter((e) => e >= rung).sort((a, b) => a - b);
    return epochs.length > 0 ? (r.get(epochs[0]) as Metrics)[metric] : undefined;
  }
}

/** A JSON-lines study file shared by processes on one machine (see the file comment). */
export class JsonlStudyStorage implements StudyStorage {
  readonly location: string;
  private fd: number | null = null;
  private ino = -1;
  private offset = 0;
  private state = new FileState();
  private def: StudyDefinition | null = null;
  private readonly host = hostname();

  constructor(
    /** The study file's path. */
    readonly path: string,
  ) {
    this.location = path;
  }

  /** Reads what was appended since the last look (under the lock). */
  private sync(): FileState {
    let st: { ino: number; size: number };
    try {
      st = statSync(this.path);
    } catch {
      st = { ino: -2, size: 0 };
    }
    if (this.fd === null || st.ino !== this.ino) {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = openSync(this.path, 'a+');
      this.ino = fstatSync(this.fd).ino;
      this.offset = 0;
      this.state = new FileState();
      st.size = fstatSync(this.fd).size;
    }
    if (st.size < this.offset) {
      this.offset = 0;
      this.state = new FileState();
    }
    if (st.size > this.offset) {
      const buf = Buffer.alloc(st.size - this.offset);
      readSync(this.fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(10) + 1;
      // A tail without its newline is a writer killed mid-write (we hold the lock): cut it off.
      if (end < buf.length) ftruncateSync(this.fd, this.offset + end);
      const lines = buf.subarray(0, end).toString('utf8').split('\n');
      lines.pop();
      for (const [i, text] of lines.entries()) {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text);
        } catch {
          throw NerveError.raw(
            'study file',
            `${this.path}: a line after byte ${this.offset} is not valid JSON (line ${i + 1} of the new lines); refusing to guess`,
          );
        }
        this.state.apply(line);
      }
      this.offset += end;
    }
    return this.state;
  }

  private append(lines: object[], durable = false): void {
    const buf = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), 'utf8');
    const fd = this.fd as number;
    const n = writeSync(fd, buf, 0, buf.length);
    if (n !== buf.length) throw NerveError.raw('study file', `short write: ${n} of ${buf.length}`);
    if (durable) fsyncSync(fd);
    // Our own lines are read back by the next sync, like anyone else's.
  }

  private locked<T>(fn: (s: FileState) => T): T {
    return withStudyLock(this.path, () => fn(this.sync()));
  }

  private definition(): StudyDefinition {
    if (!this.def) throw NerveError.raw('study file', 'openStudy was not called');
    return this.def;
  }

  async openStudy(def: StudyDefinition): Promise<OpenedStudy> {
    return this.locked((s) => {
      let created = false;
      if (!s.header) {
        this.append([def.header, { type: 'plan', trials: def.trials, study: def.name }], true);
        created = true;
      } else {
        const why = headerMismatch(s.header, def.header);
        if (why) {
          throw NerveError.raw(
            'study storage',
            `refusing to join the study in ${this.path}: ${why}. Use another study file for a different study.`,
          );
        }
        if (def.trials > s.planned) this.append([{ type: 'plan', trials: def.trials }], true);
      }
      this.def = def;
      this.sync();
      return { created };
    });
  }

  async readStudy(_name: string): Promise<StoredStudy | null> {
    // A file holds one study: its name is a label, not a key.
    if (!existsSync(this.path)) return null;
    return this.locked((s) => (s.header ? { header: s.header, planned: s.planned } : null));
  }

  async claim(worker: string, opts: { below?: number } = {}): Promise<ClaimedTrial | null> {
    const def = this.definition();
    return this.locked((s) => {
      const end = Math.min(s.planned, opts.below ?? Number.POSITIVE_INFINITY);
      for (let id = 0; id < end; id++) {
        if (s.finished.has(id) || s.running.has(id)) continue;
        const at = Date.now();
        this.append([{ type: 'claim', id, worker, pid: process.pid, host: this.host, at }]);
        this.sync();
        return { id, params: def.params(id), attempt: this.state.attempts.get(id) ?? 1 };
      }
      return null;
    });
  }

  private owned(s: FileState, id: number, worker: string): boolean {
    return s.running.get(id)?.worker === worker;
  }

  async heartbeat(id: number, worker: string): Promise<boolean> {
    return this.locked((s) => {
      if (!this.owned(s, id, worker)) return false;
      this.append([{ type: 'beat', id, worker, at: Date.now() }]);
      return true;
    });
  }

  async report(id: number, worker: string, epoch: number, metrics: Metrics): Promise<boolean> {
    return this.locked((s) => {
      if (!this.owned(s, id, worker)) return false;
      const m = Object.fromEntries(
        Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null]),
      );
      this.append([{ type: 'report', id, worker, epoch, metrics: m }]);
      return true;
    });
  }

  async rung(id: number, rung: number, value: number): Promise<RungOutcome> {
    const { header } = this.definition();
    return this.locked((s) => {
      const known = s.rungs.get(`${id}:${rung}`);
      if (known) return { decided: known };
      const peers = Array.from({ length: id }, (_, p) => ({
        id: p,
        ended: s.finished.has(p),
        rungValue: s.rungValue(p, rung, header.metric),
      }));
      const o = rungOutcome(id, rung, value, peers, header);
      if ('decided' in o) {
        this.append([{ type: 'rung', id, rung, decision: o.decided }]);
        this.sync();
      }
      return o;
    });
  }

  async finish(id: number, worker: string, record: TrialRecord): Promise<boolean> {
    return this.locked((s) => {
      if (!this.owned(s, id, worker)) return false;
      this.append([{ ...JSON.parse(encodeTrial(record)), worker }], true);
      this.sync();
      return true;
    });
  }

  async release(id: number, worker: string): Promise<void> {
    this.locked((s) => {
      if (this.owned(s, id, worker)) this.append([{ type: 'release', id, worker }]);
    });
  }

  async requeueStale(graceMs: number): Promise<number[]> {
    return this.locked((s) => {
      const now = Date.now();
      const stale: { type: string; id: number; worker: string }[] = [];
      for (const [id, r] of s.running) {
        // On this machine a dead process is known at once; a hung one by its silence.
        const dead = r.host === this.host && r.pid !== process.pid && !alive(r.pid);
        if (dead || now - r.beat > graceMs) stale.push({ type: 'requeue', id, worker: r.worker });
      }
      if (stale.length > 0) {
        this.append(stale);
        this.sync();
      }
      return stale.map((e) => e.id);
    });
  }

  async trials(): Promise<StoredTrial[]> {
    const metric = this.definition().header.metric;
    const def = this.definition();
    return this.locked((s) =>
      Array.from({ length: s.planned }, (_, id): StoredTrial => {
        const done = s.finished.get(id);
        const run = s.running.get(id);
        const state: TrialState = done ? finalState(done.record) : run ? 'running' : 'queued';
        const reports = s.reports.get(id) ?? new Map<number, Metrics>();
        return {
          id,
          state,
          params: done?.record.config ?? def.params(id),
          value: done ? finalValue(done.record) : null,
          intermediate: [...reports.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([epoch, m]) => ({ epoch, value: m[metric] })),
          worker: done?.worker ?? run?.worker ?? null,
          attempts: s.attempts.get(id) ?? 0,
          record: done?.record ?? null,
        };
      }),
    );
  }

  async unfinished(): Promise<number> {
    return this.locked((s) => s.planned - s.finished.size);
  }

  async queuedAmong(ids: number[]): Promise<number[]> {
    return this.locked((s) =>
      ids.filter((id) => id < s.planned && !s.finished.has(id) && !s.running.has(id)),
    );
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
