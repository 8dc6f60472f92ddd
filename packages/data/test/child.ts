/** Runs test/child scripts in a fresh Node process (TypeScript through tsx). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs a script of test/child with arguments; its stdout's last line parsed as JSON. */
export function runChild<T = Record<string, unknown>>(
  script: string,
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): T {
  const file = fileURLToPath(new URL(`./child/${script}`, import.meta.url));
  const r = spawnSync(
    process.execPath,
    ['--conditions=@nerve/source', '--import', 'tsx', file, ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 30_000,
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, ...opts.env },
    },
  );
  if (r.error) throw new Error(`${script} ${args.join(' ')}: ${r.error.message}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  if (r.status !== 0 || lines[lines.length - 1] === '') {
    throw new Error(`${script} exited with ${r.status}: ${r.stderr}`);
  }
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** What child/load.ts reports. */
export interface LoadOutcome {
  ok: boolean;
  nerveError?: boolean;
  name?: string;
  message?: string;
  shape?: number[];
  /** Peak RSS during the load minus the RSS before it. */
  peakBytes: number;
}

/** Loads `path` with loadIdx, loadCsv or loadMnistFormat in a fresh process. */
export function loadInChild(
  kind: 'idx' | 'csv' | 'mnist',
  path: string,
  opts?: object,
  timeoutMs?: number,
): LoadOutcome {
  const args = opts === undefined ? [kind, path] : [kind, path, JSON.stringify(opts)];
  return runChild<LoadOutcome>('load.ts', args, { timeoutMs });
}
