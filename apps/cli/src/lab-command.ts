/**
 * `nerve lab list | run <id> | all`: runs the lab's experiments, prints
 * their findings, tables and text plots, and writes an HTML report. The
 * experiments and their data loaders are parameters, so tests run toy
 * experiments through the same code.
 */
import {
  type Experiment,
  type LabData,
  type LabResult,
  experiments as registry,
  runExperiment,
} from '@nerve/lab';
import { nodeLabData } from '@nerve/lab/node';
import { type ReportSection, type Table, formatTable, htmlReport } from '@nerve/plot';
import {
  type CommandDef,
  type FlagValues,
  UsageError,
  parseCommand,
  suggestion,
  wantsHelp,
} from './flags.js';
import { LAB, LAB_FLAGS, labRunDef, paramFlag } from './flags-lab.js';
import { json as jsonFlag } from './flags-common.js';
import { formatHelp } from './help.js';
import { Interrupted, watchInterrupt } from './interrupt.js';
import type { Out } from './io.js';
import { failedSection, formatLabResult, labReport, labSection } from './lab-format.js';
import { checkWritable } from './out-path.js';
import { writeTextAtomic } from './write-file.js';

/** What `nerve lab` runs and where progress goes. */
export interface LabCommandOptions {
  /** The experiments (default: @nerve/lab's registry, in lecture order). */
  experiments?: readonly Experiment[];
  /** The data loaders (default: nodeLabData, files on this machine). */
  data?: LabData;
  /** A progress line writer (the CLI passes one for a terminal); none when absent. */
  progress?: (line: string) => void;
}

const SUBCOMMANDS = ['list', 'run', 'all'];
const LIST: CommandDef = { name: 'lab list', summary: 'the experiments', flags: [jsonFlag] };
const ALL: CommandDef = {
  name: 'lab all',
  summary: 'every experiment, in lecture order',
  flags: LAB_FLAGS,
};

/** The flags of `nerve lab all` (the shared lab flags), parsed and checked. */
export function parseLabAllArgs(argv: readonly string[]): FlagValues {
  return parseCommand(ALL, argv);
}

function find(exps: readonly Experiment[], id: string | undefined): Experiment {
  const ids = exps.map((e) => e.id);
  if (id === undefined || id.startsWith('-')) {
    throw new UsageError(
      `lab run: expected an experiment id (one of ${ids.join(', ') || 'none'})`,
      'lab',
    );
  }
  const exp = exps.find((e) => e.id === id);
  if (exp === undefined) {
    throw new UsageError(
      `lab run: expected an experiment id (one of ${ids.join(', ') || 'none'}), received '${id}'${suggestion(id, ids)}`,
      'lab',
    );
  }
  return exp;
}

/** The experiment's parameters given on the command line, by parameter name. */
function givenParams(exp: Experiment, values: FlagValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(exp.params)) {
    const v = values[paramFlag(name)];
    if (v === undefined) continue;
    out[name] = spec.type === 'boolean' ? v === 'true' : v;
  }
  return out;
}

/** Runs one experiment with Ctrl-C wired to its abort signal. */
async function runOne(
  exp: Experiment,
  params: Record<string, unknown>,
  values: FlagValues,
  data: LabData,
  o: Out,
  progress?: (line: string) => void,
): Promise<LabResult> {
  const controller = new AbortController();
  const watch = watchInterrupt(() => {
    o.err(`nerve: interrupted; stopping ${exp.id} at its next step`);
    controller.abort();
  });
  try {
    return await runExperiment(exp, {
      params,
      quick: values.quick === true,
      seed: values.seed as number | undefined,
      data,
      signal: controller.signal,
      onProgress: progress
        ? (p) => progress(`${exp.id}: ${Math.round(p.fraction * 100)}% ${p.message}`)
        : undefined,
    });
  } catch (e) {
    if (controller.signal.aborted) throw new Interrupted(`${exp.id} interrupted`);
    throw e;
  } finally {
    watch.dispose();
    progress?.('');
  }
}

function writeReport(
  values: FlagValues,
  title: string,
  command: string,
  sections: ReportSection[],
  o: Out,
) {
  const path = values.report as string | undefined;
  if (path === undefined) return;
  writeTextAtomic(
    'report',
    path,
    htmlReport(labReport(title, command, sections), { footer: `nerve ${command}` }),
  );
  (values.json ? o.err : o.out)(`report written to ${path}`);
}

function list(exps: readonly Experiment[], argv: string[], o: Out): number {
  const values = parseCommand(LIST, argv);
  if (values.json) {
    o.event(
      exps.map((e) => ({
        id: e.id,
        topic: e.topic,
        title: e.title,
        claim: e.claim,
        params: e.params,
        seed: e.seed,
      })),
    );
    return 0;
  }
  if (exps.length === 0) {
    o.out('no experiments registered');
    return 0;
  }
  const w = Math.max(...exps.map((e) => e.id.length));
  for (const e of exps)
    o.out(`${e.id.padEnd(w)}  [${e.topic}] ${e.title}\n${' '.repeat(w + 2)}${e.claim}`);
  return 0;
}

/** `nerve lab all`: every experiment in order; a failed run is reported and the rest still run. */
async function runAll(
  exps: readonly Experiment[],
  argv: string[],
  data: LabData,
  o: Out,
  progress?: (line: string) => void,
): Promise<number> {
  const values = parseLabAllArgs(argv);
  if (values.report !== undefined) checkWritable('report', values.report as string);
  const sections: ReportSection[] = [];
  const summary: Table = {
    title: 'Summary',
    columns: ['experiment', 'title', 'claim', 'findings held', 'seconds'],
    rows: [],
  };
  let failed = 0;
  let held = 0;
  const t0 = performance.now();
  for (const exp of exps) {
    try {
      const r = await runOne(exp, {}, values, data, o, values.json ? undefined : progress);
      if (r.held) held++;
      sections.push(labSection(r));
      const n = r.findings.filter((f) => f.held).length;
      summary.rows.push([
        r.id,
        r.title,
        r.held ? 'held' : 'did NOT hold',
        `${n} of ${r.findings.length}`,
        Number(r.seconds.toFixed(1)),
      ]);
      if (values.json) o.event(r);
      else o.out(`${formatLabResult(r)}\n\n${'─'.repeat(60)}`);
    } catch (e) {
      if (e instanceof Interrupted || !(e instanceof Error)) throw e;
      failed++;
      const message = e.message.replace(/\s*\n\s*/g, ' ');
      sections.push(failedSection(exp.id, exp.title, message));
      summary.rows.push([exp.id, exp.title, 'failed to run', null, null]);
      o.err(`nerve: lab ${exp.id} failed: ${message}`);
      if (values.json) o.event({ event: 'error', id: exp.id, message });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const line = `${exps.length} experiment${exps.length === 1 ? '' : 's'}: ${held} claim${held === 1 ? '' : 's'} held, ${exps.length - held - failed} did not, ${failed} failed to run (${seconds.toFixed(1)} s)`;
  if (values.json) o.err(line);
  else o.out(`${formatTable(summary)}\n\n${line}`);
  const overview: ReportSection = {
    heading: 'Summary',
    text: [`${line}.`],
    tables: [{ ...summary, title: undefined }],
  };
  writeReport(
    values,
    'The nerve lab',
    ['lab', 'all', ...argv].join(' '),
    [overview, ...sections],
    o,
  );
  return failed > 0 ? 1 : 0;
}

/** `nerve lab …`; resolves to the exit code (0 runs finished, 1 a run failed, 2 bad usage). */
export async function runLabCommand(
  argv: string[],
  o: Out,
  opts: LabCommandOptions = {},
): Promise<number> {
  const exps = opts.experiments ?? registry;
  const data = opts.data ?? nodeLabData;
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? o.err : o.out)(formatHelp(LAB));
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') {
    if (!wantsHelp(rest)) return list(exps, rest, o);
    o.out(formatHelp(LIST));
    return 0;
  }
  if (sub === 'run') {
    const exp = find(exps, rest[0]);
    const def = labRunDef(exp);
    if (wantsHelp(rest.slice(1))) {
      o.out(formatHelp(def));
      return 0;
    }
    const values = parseCommand(def, rest.slice(1));
    if (values.report !== undefined) checkWritable('report', values.report as string);
    const r = await runOne(
      exp,
      givenParams(exp, values),
      values,
      data,
      o,
      values.json ? undefined : opts.progress,
    );
    if (values.json) o.event(r);
    else o.out(formatLabResult(r));
    writeReport(values, `${exp.title}`, ['lab', 'run', ...rest].join(' '), [labSection(r)], o);
    return 0;
  }
  if (sub === 'all') {
    if (wantsHelp(rest)) {
      o.out(formatHelp(ALL));
      return 0;
    }
    return runAll(exps, rest, data, o, opts.progress);
  }
  throw new UsageError(
    `lab: unknown subcommand '${sub}'${suggestion(sub, SUBCOMMANDS)} (one of ${SUBCOMMANDS.join(', ')})`,
    'lab',
  );
}
