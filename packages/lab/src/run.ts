/** Running an experiment: parameters resolved and checked, time measured. */
import { NerveError, describeValue } from '@nerve/core';
import type { Experiment, LabContext, LabResult, ParamSpec, ParamValues } from './experiment.js';
import { withBackend } from './util/select-backend.js';

/**
 * The parameter values a run uses: each given value checked against its
 * spec, the rest filled from the defaults (or the quick values when
 * `quick`). An unknown name or a value of the wrong type or range is an
 * error naming the experiment and the parameter; nothing runs.
 */
export function resolveParams(
  exp: Experiment,
  given: Readonly<Record<string, unknown>>,
  quick: boolean,
): ParamValues {
  const op = `lab ${exp.id}`;
  for (const name of Object.keys(given)) specOf(exp, name);
  const out: ParamValues = {};
  for (const [name, spec] of Object.entries(exp.params)) {
    const v = Object.hasOwn(given, name)
      ? given[name]
      : quick && spec.quick !== undefined
        ? spec.quick
        : spec.default;
    out[name] = checkParam(op, name, spec, v);
  }
  return out;
}

/** Parses a command-line string into the parameter's type (then checked by resolveParams). */
export function parseParam(exp: Experiment, name: string, text: string): number | string | boolean {
  const spec = specOf(exp, name);
  if (spec.type === 'number' || spec.type === 'integer') {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n)) {
      throw new NerveError(`lab ${exp.id}`, `a number for --${name}`, `'${text}'`);
    }
    return n;
  }
  if (spec.type === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    throw new NerveError(`lab ${exp.id}`, `true or false for --${name}`, `'${text}'`);
  }
  return text;
}

/** The spec of parameter `name`, or an error listing the experiment's parameters. */
function specOf(exp: Experiment, name: string): ParamSpec {
  const spec = Object.hasOwn(exp.params, name) ? exp.params[name] : undefined;
  if (spec === undefined) {
    throw new NerveError(
      `lab ${exp.id}`,
      `a parameter (one of ${Object.keys(exp.params).join(', ') || 'none'})`,
      `'${name}'`,
    );
  }
  return spec;
}

function checkParam(
  op: string,
  name: string,
  spec: ParamSpec,
  v: unknown,
): number | string | boolean {
  if (spec.type === 'number' || spec.type === 'integer') {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new NerveError(op, `a finite number for '${name}'`, describeValue(v));
    }
    if (spec.type === 'integer' && !Number.isInteger(v)) {
      throw new NerveError(op, `an integer for '${name}'`, String(v));
    }
    if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
      throw new NerveError(op, `'${name}' in [${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]`, String(v));
    }
    return v;
  }
  if (spec.type === 'boolean') {
    if (typeof v !== 'boolean')
      throw new NerveError(op, `true or false for '${name}'`, describeValue(v));
    return v;
  }
  const { choices } = spec as Extract<ParamSpec, { type: 'choice' }>;
  if (typeof v !== 'string' || !choices.includes(v)) {
    throw new NerveError(op, `'${name}' one of ${choices.join(', ')}`, describeValue(v));
  }
  return v;
}

/** Options of runExperiment: the context minus what the runner fills in. */
export interface RunOptions extends Omit<LabContext, 'seed' | 'quick'> {
  /** Parameter values by name; the rest take their defaults. */
  params?: Readonly<Record<string, unknown>>;
  /** Use the quick values (default false). */
  quick?: boolean;
  /** The experiment's own default seed when absent. */
  seed?: number;
}

/** Runs one experiment and returns its result with timing and the overall verdict. */
export async function runExperiment(exp: Experiment, opts: RunOptions): Promise<LabResult> {
  const quick = opts.quick ?? false;
  const params = resolveParams(exp, opts.params ?? {}, quick);
  const seed = opts.seed ?? exp.seed;
  if (!Number.isInteger(seed))
    throw new NerveError(`lab ${exp.id}`, 'an integer seed', describeValue(seed));
  opts.signal?.throwIfAborted();
  const t0 = performance.now();
  // The runner makes the context's backend active, so experiments need not.
  const out = await withBackend(opts.backend, () => exp.run(params, { ...opts, seed, quick }));
  const seconds = (performance.now() - t0) / 1000;
  return {
    id: exp.id,
    title: exp.title,
    claim: exp.claim,
    params,
    seed,
    quick,
    held: out.findings.length > 0 && out.findings.every((f) => f.held),
    seconds,
    ...out,
  };
}
