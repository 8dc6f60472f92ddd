/**
 * `nerve tune show --storage URL|FILE --study NAME [--json] [--report
 * FILE.html]`: prints a shared study from its storage alone: every trial's
 * state (queued, running, complete, pruned, failed), parameters and value,
 * and the best trial; --report also writes one self-contained HTML page with
 * the trials table and every trial's per-epoch curve.
 */
import { type ShownStudy, formatNumber, showStudy } from '@nerve/tune';
import { UsageError } from './args.js';
import type { CommandDef } from './flags.js';
import { parseCommand } from './flags.js';
import type { Out } from './io.js';
import { checkWritable, isHtmlPath } from './out-path.js';
import { cliVersion } from './version.js';

/** `nerve tune show`'s flags. */
export const TUNE_SHOW: CommandDef = {
  name: 'tune show',
  summary: 'print a shared study: every trial with its state, parameters and value',
  flags: [
    {
      name: 'storage',
      kind: 'string',
      placeholder: 'URL|FILE.jsonl',
      description: 'where the study is: postgresql://user:pass@host/db or a JSON-lines file',
    },
    { name: 'study', kind: 'string', placeholder: 'NAME', description: "the study's name" },
    {
      name: 'json',
      kind: 'boolean',
      default: false,
      description:
        'one JSON object: { study, storage, metric, mode, seed, trials: [{ id, state, params, value, worker }] }',
    },
    {
      name: 'report',
      kind: 'string',
      placeholder: 'FILE.html',
      description:
        "also write a self-contained HTML report: every trial in a table (best marked) and every trial's per-epoch curve, pruned and interrupted ones included",
    },
  ],
  notes: [
    'It can run while workers are running the study.',
    "A trial's worker is host:pid:backend of the process that holds or finished it.",
  ],
};

/** The JSON `nerve tune show --json` prints. */
export function showJson(s: ShownStudy): object {
  return {
    study: s.name,
    storage: s.location,
    metric: s.header.metric,
    mode: s.header.mode,
    seed: s.header.seed,
    trials: s.trials.map((t) => ({
      id: t.id,
      state: t.state,
      params: t.params,
      value: t.value,
      worker: t.worker,
    })),
  };
}

/** The study as a table, best trial last. */
export function formatShow(s: ShownStudy): string {
  const counts = new Map<string, number>();
  for (const t of s.trials) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const lines = [
    `study '${s.name}' in ${s.location}: ${s.trials.length} trials (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}), ${s.header.metric} ${s.header.mode}, seed ${s.header.seed}`,
    ...s.trials.map(
      (t) =>
        `${String(t.id).padStart(4)}  ${t.state.padEnd(8)}  ${t.value === null ? '-'.padStart(10) : formatNumber(t.value).padStart(10)}  ${JSON.stringify(t.params)}`,
    ),
  ];
  const finished = s.trials.filter((t) => t.state === 'complete' && t.value !== null);
  if (finished.length > 0) {
    const sign = s.header.mode === 'min' ? 1 : -1;
    const best = finished.reduce((a, b) =>
      sign * (b.value as number) < sign * (a.value as number) ? b : a,
    );
    lines.push(`best: trial ${best.id}, ${s.header.metric} ${formatNumber(best.value as number)}`);
  }
  return lines.join('\n');
}

/** Parses and runs `nerve tune show`; resolves to the exit code. */
export async function runTuneShow(argv: string[], o: Out): Promise<number> {
  const v = parseCommand(TUNE_SHOW, argv);
  const storage = v.storage as string | undefined;
  const study = v.study as string | undefined;
  if (storage === undefined) throw new UsageError('--storage: required (a URL or a file)', 'tune');
  if (study === undefined) throw new UsageError("--study: required (the study's name)", 'tune');
  const report = v.report as string | undefined;
  if (report !== undefined) {
    if (!isHtmlPath(report)) {
      throw new UsageError(
        `--report: expected a path ending in .html, received '${report}'`,
        'tune show',
      );
    }
    checkWritable('report', report);
  }
  const shown = await showStudy(storage, study);
  if (report !== undefined) {
    const [{ writeReport }, { tuneShowReport }] = await Promise.all([
      import('./reports/write-report.js'),
      import('./reports/tune-show-report.js'),
    ]);
    // Atomic: written to a temporary file renamed over `report`.
    writeReport('report', report, tuneShowReport(shown), `nerve ${cliVersion()}`);
  }
  o.out(
    v.json === true
      ? JSON.stringify({ ...showJson(shown), ...(report === undefined ? {} : { report }) })
      : `${formatShow(shown)}${report === undefined ? '' : `\nreport ${report}`}`,
  );
  return 0;
}
