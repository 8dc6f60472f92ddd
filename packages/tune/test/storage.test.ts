import '@nerve/backend-cpu';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type StudyResult,
  logUniform,
  randomSearch,
  readStudyFile,
  runStudy,
  space,
  uniform,
} from '../src/index.js';
import { RESUME_TRIALS, studyOptions } from './helpers/resume-study.js';

const comparable = (r: StudyResult) => r.trials.map(({ seconds, ...t }) => t);
const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir = '';
let reference: StudyResult;

/** Trial ids as the objective logged them when it started. */
const started = (counter: string) =>
  existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).map(Number) : [];
const idsInFile = (path: string) => readStudyFile(path).trials.map((t) => t.id);

async function withCounter<T>(counter: string, fn: () => Promise<T>): Promise<T> {
  process.env.TUNE_TEST_COUNTER = counter;
  try {
    return await fn();
  } finally {
    delete process.env.TUNE_TEST_COUNTER;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nerve-tune-'));
  reference = await runStudy({ ...studyOptions(), storage: join(dir, 'reference.jsonl') });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('study files', () => {
  it('writes a header and one line per trial', () => {
    const c = readStudyFile(join(dir, 'reference.jsonl'));
    expect(c.header.seed).toBe(11);
    expect(c.header.space).toBe(studyOptions().space.fingerprint());
    expect(c.trials.map((t) => t.id).sort((a, b) => a - b)).toEqual([
      ...Array(RESUME_TRIALS).keys(),
    ]);
    expect(c.droppedLastLine).toBe(false);
  });

  it('resumes a study whose process was killed with SIGKILL mid-trial', async () => {
    const file = join(dir, 'killed.jsonl');
    const counter = join(dir, 'killed.counter');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = fileURLToPath(new URL('./helpers/run-study-child.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', tsx, '--conditions=@nerve/source', script, file],
      {
        cwd: root,
        env: { ...process.env, TUNE_TEST_SLEEP_MS: '120', TUNE_TEST_COUNTER: counter },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let gone = false;
    const exited = new Promise<NodeJS.Signals | null>((r) =>
      child.on('exit', (_code, signal) => {
        gone = true;
        r(signal);
      }),
    );
    // Wait until at least two trials are written and the next one has started, then kill.
    const deadline = Date.now() + 40_000;
    const midTrial = () => {
      if (!existsSync(file)) return false;
      const written = idsInFile(file);
      return written.length >= 2 && started(counter).some((id) => !written.includes(id));
    };
    while (!midTrial()) {
      if (gone || Date.now() > deadline) {
        throw new Error(`the child ended or stalled before the kill: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(output).not.toMatch(/child finished/);
    const before = idsInFile(file);
    const startedBefore = started(counter);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(RESUME_TRIALS);
    // The trial that was running when the process died started but was never
    // written (unless it finished in the instant between the check and the kill).
    const inFlight = startedBefore.filter((id) => !before.includes(id));
    expect(inFlight.length).toBeLessThanOrEqual(1);

    const resumed = await withCounter(counter, () =>
      runStudy({ ...studyOptions(), storage: file }),
    );
    expect(resumed.resumed).toBe(before.length);
    const after = idsInFile(file);
    expect([...after].sort((a, b) => a - b)).toEqual([...Array(RESUME_TRIALS).keys()]);
    // Finished trials ran once; only the interrupted one ran twice.
    const runs = started(counter);
    for (let id = 0; id < RESUME_TRIALS; id++) {
      expect(runs.filter((r) => r === id).length, `trial ${id}`).toBe(id === inFlight[0] ? 2 : 1);
    }
    expect(comparable(resumed)).toEqual(comparable(reference));
  }, 60_000);

  it('drops a torn last line, rewrites the file without it and re-runs only that trial', async () => {
    const file = join(dir, 'torn.jsonl');
    writeFileSync(file, readFileSync(join(dir, 'reference.jsonl')));
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    const torn = lines[lines.length - 1].slice(0, Math.floor(lines[lines.length - 1].length / 2));
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n${torn}`);
    expect(readStudyFile(file).droppedLastLine).toBe(true);
    const counter = join(dir, 'torn.counter');
    const resumed = await withCounter(counter, () =>
      runStudy({ ...studyOptions(), storage: file }),
    );
    expect(started(counter)).toEqual([last.id]);
    expect(comparable(resumed)).toEqual(comparable(reference));
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain(torn.concat('\n'));
    const c = readStudyFile(file);
    expect(c.droppedLastLine).toBe(false);
    expect(c.trials).toHaveLength(RESUME_TRIALS);

    // A half line appended after complete ones (a crash while appending) goes the same way.
    appendFileSync(file, '{"type":"trial","id":9,"sta');
    const again = await withCounter(join(dir, 'torn2.counter'), () =>
      runStudy({ ...studyOptions(), storage: file }),
    );
    expect(started(join(dir, 'torn2.counter'))).toEqual([]);
    expect(comparable(again)).toEqual(comparable(reference));
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('refuses damage other than a torn last line', async () => {
    const file = join(dir, 'middle.jsonl');
    const lines = readFileSync(join(dir, 'reference.jsonl'), 'utf8').split('\n');
    lines[2] = lines[2].slice(0, 10);
    writeFileSync(file, lines.join('\n'));
    await expect(runStudy({ ...studyOptions(), storage: file })).rejects.toThrow(
      /line 3 is not valid JSON/,
    );
  });

  it('refuses a study file written for a different space, seed or searcher, and leaves it alone', async () => {
    const file = join(dir, 'reference.jsonl');
    const text = readFileSync(file, 'utf8');
    const other = space({ lr: logUniform(1e-5, 1), x: uniform(0, 1) });
    let calls = 0;
    await expect(
      runStudy({ ...studyOptions(), space: other, objective: () => ++calls, storage: file }),
    ).rejects.toThrow(/different search space/);
    await expect(runStudy({ ...studyOptions(), seed: 12, storage: file })).rejects.toThrow(
      /different seed/,
    );
    await expect(runStudy({ ...studyOptions(), pruners: [], storage: file })).rejects.toThrow(
      /different pruners/,
    );
    expect(calls).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('extends a random search with more trials without re-running the first ones', async () => {
    const file = join(dir, 'extend.jsonl');
    const counter = join(dir, 'extend.counter');
    await withCounter(counter, () =>
      runStudy({ ...studyOptions(), searcher: randomSearch({ trials: 3 }), storage: file }),
    );
    const more = await withCounter(counter, () => runStudy({ ...studyOptions(), storage: file }));
    expect(started(counter)).toEqual([...Array(RESUME_TRIALS).keys()]);
    expect(comparable(more)).toEqual(comparable(reference));
  });
});
