/**
 * `nerve lab`'s flags. The shared ones are a table like every command's;
 * `nerve lab run <id>` adds one flag per parameter of the experiment, made
 * from its ParamSpec (type, range, choices, default), so parsing, "did you
 * mean" and `nerve lab run <id> --help` come from the experiment itself.
 */
import type { Experiment, ParamSpec } from '@nerve/lab';
import { NerveError } from '@nerve/core';
import type { CommandDef, FlagDef } from './flags.js';
import { json } from './flags-common.js';

/** --quick, --seed, --json and --report, shared by `lab run` and `lab all`. */
export const LAB_FLAGS: readonly FlagDef[] = [
  {
    name: 'quick',
    kind: 'boolean',
    default: false,
    description: "each experiment's quick settings (seconds instead of a minute; for tests)",
  },
  {
    name: 'seed',
    kind: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    placeholder: 'N',
    defaultText: "the experiment's own",
    description: 'seed of everything random in the run',
  },
  { ...json, description: 'the result as JSON on stdout (lab all: one result per line)' },
  {
    name: 'report',
    kind: 'string',
    placeholder: 'FILE.html',
    description: 'also write a self-contained HTML report (inline SVG figures, no external URL)',
  },
];

/** `nerve lab`: the command as the general help and `nerve lab --help` show it. */
export const LAB: CommandDef = {
  name: 'lab',
  summary: "the lecture's claims as experiments: list, run one, or run all",
  flags: LAB_FLAGS,
  notes: [
    'subcommands:',
    '  nerve lab list                       the experiments: id, topic, title and claim',
    '  nerve lab run <id> [--<param> V …]   one experiment; its parameters: nerve lab run <id> --help',
    '  nerve lab all [--quick]              every experiment, in the lecture order',
    '',
    'The exit code is 0 when the runs finish, whether or not every claim held (each is',
    'printed as ✓ held or ✗ did not hold); 2 for a bad command line; 1 for a failed run.',
  ],
};

/** A parameter's flag name: camelCase becomes kebab-case (trainExamples → train-examples). */
export function paramFlag(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function paramFlagDef(name: string, spec: ParamSpec): FlagDef {
  // No `default`: an absent flag stays undefined, so the runner fills the
  // default or, under --quick, the quick value. The help shows both.
  const base = {
    name: paramFlag(name),
    description: spec.description,
    defaultText: `${spec.default}${spec.quick !== undefined ? `; --quick: ${spec.quick}` : ''}`,
  };
  switch (spec.type) {
    case 'integer':
    case 'number':
      return {
        ...base,
        kind: spec.type === 'integer' ? 'int' : 'number',
        min: spec.min,
        max: spec.max,
        placeholder: spec.type === 'integer' ? 'N' : 'X',
      };
    case 'choice':
      return { ...base, kind: 'choice', values: spec.choices, placeholder: 'NAME' };
    case 'boolean':
      // A value, not a bare switch: a parameter that defaults to true must be able to say false.
      return { ...base, kind: 'choice', values: ['true', 'false'], placeholder: 'BOOL' };
  }
}

/** `nerve lab run <id>`: the shared flags plus one per parameter of the experiment. */
export function labRunDef(exp: Experiment): CommandDef {
  const taken = new Set(LAB_FLAGS.map((f) => f.name));
  const params = Object.entries(exp.params).map(([name, spec]) => {
    const f = paramFlagDef(name, spec);
    if (taken.has(f.name)) {
      throw new NerveError(
        `lab ${exp.id}`,
        `parameter names other than ${[...taken].join(', ')}`,
        `'${name}'`,
      );
    }
    taken.add(f.name);
    return f;
  });
  return {
    name: `lab run ${exp.id}`,
    summary: `${exp.title}. ${exp.claim}`,
    flags: [...params, ...LAB_FLAGS],
  };
}
