/** Starts study-worker-child.ts in a child process and collects its output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const script = fileURLToPath(new URL('./study-worker-child.ts', import.meta.url));

/** A worker process: its handle, its output so far, and how it ended. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns one worker of `study` in `storage` for `trials` trials. */
export function spawnWorker(
  storage: string,
  study: string,
  trials: number,
  env: Record<string, string> = {},
): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@nerve/source', script, storage, study, String(trials)],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** The `ran` ids a finished worker printed. */
export function ranIds(w: WorkerProcess): number[] {
  const line = w
    .output()
    .split('\n')
    .find((l) => l.startsWith('{"ran"'));
  if (!line) throw new Error(`no result line from the worker:\n${w.output()}`);
  return JSON.parse(line).ran;
}
