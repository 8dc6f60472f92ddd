/** `nerve …` in a child process, for the tests that signal or share a study between processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A running `nerve` process: its handle, its output so far, and how it ended. */
export interface NerveProcess {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `nerve argv…` (sources through tsx, as the tests import them). */
export function startNerve(argv: string[]): NerveProcess {
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@nerve/source', main, ...argv],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** Waits until `ok()` holds, failing with `what` and the process's output after `ms`. */
export async function waitFor(
  ok: () => boolean | Promise<boolean>,
  what: string,
  p: NerveProcess,
  ms = 180_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out\n${p.out()}\n${p.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The `nerve:` lines of a process's stderr (its messages, not its progress lines). */
export const nerveLines = (err: string) => err.split('\n').filter((l) => l.startsWith('nerve:'));
