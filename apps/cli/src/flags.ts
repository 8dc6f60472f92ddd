/**
 * Declarative command-line flags. Each command declares its flags once, as a
 * table (name, kind, default, description, allowed values or range); parsing,
 * validation, "did you mean" and the per-command help are all derived from
 * that table, so the help cannot leave out a flag the parser accepts.
 */
import { parseArgs } from 'node:util';

/** A problem with the command line: printed with a usage hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';

  /** `command`: the command whose help the hint points to, when known. */
  constructor(
    message: string,
    public command?: string,
  ) {
    super(message);
  }
}

/** One flag of a command. */
export interface FlagDef {
  /** The name without the leading dashes: 'batch-size'. */
  name: string;
  /** How the value is read: numbers are range-checked, choices checked against `values`. */
  kind: 'int' | 'number' | 'string' | 'boolean' | 'choice';
  /** One line for the help. */
  description: string;
  /** Used when the flag is absent (absent and undefined: the command decides). */
  default?: number | string | boolean;
  /** The default as the help shows it, when it depends on other flags. */
  defaultText?: string;
  /** The allowed values of a choice flag. */
  values?: readonly string[];
  /** Inclusive bounds of a numeric flag (the lower one exclusive with `exclusiveMin`). */
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  /** What the value looks like in the help: N, X, FILE.safetensors, LOW:HIGH. */
  placeholder?: string;
}

/** A command: its name, one summary line, its flags and notes for the help. */
export interface CommandDef {
  name: string;
  summary: string;
  flags: readonly FlagDef[];
  notes?: readonly string[];
}

/** Parsed values by flag name (numbers already numbers). */
export type FlagValues = Record<string, string | number | boolean | undefined>;

/** Edit distance with adjacent transpositions (optimal string alignment), for suggestions. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      // 'adma' → 'adam': swapping two neighbours is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate within a small edit distance (or sharing a prefix), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  // Two edits for words of five letters or more (epocs, lerning-rate), one for short ones.
  const limit = word.length >= 5 ? 2 : 1;
  if (best !== undefined && bestD <= limit) return best;
  const prefix = candidates.filter((c) => word.length >= 3 && c.startsWith(word));
  return prefix.length === 1 ? prefix[0] : undefined;
}

/** " (did you mean X?)" or nothing. */
export function suggestion(word: string, candidates: readonly string[], prefix = ''): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean ${prefix}${c}?`;
}

/** A value of `allowed`, or a UsageError that lists them (and the closest one). */
export function choiceValue(flag: string, v: string, allowed: readonly string[]): string {
  if (!allowed.includes(v)) {
    throw new UsageError(
      `--${flag}: expected one of ${allowed.join(', ')}, received '${v}'${suggestion(v, allowed)}`,
    );
  }
  return v;
}

/** The range of a numeric flag in words: "an integer in [1, 10000]", "a number > 0 and ≤ 10". */
export function rangeText(f: Pick<FlagDef, 'kind' | 'min' | 'max' | 'exclusiveMin'>): string {
  const what = f.kind === 'int' ? 'an integer' : 'a number';
  const { min, max } = f;
  if (min === undefined && max === undefined) return what;
  if (f.exclusiveMin || min === undefined || max === undefined) {
    const lo = min === undefined ? '' : `${f.exclusiveMin ? '>' : '≥'} ${min}`;
    const hi = max === undefined ? '' : `≤ ${max}`;
    return `${what} ${[lo, hi].filter(Boolean).join(' and ')}`;
  }
  return `${what} in [${min}, ${max}]`;
}

/** A numeric value checked against the flag's kind and range. */
export function numericValue(f: FlagDef, v: string): number {
  const n = Number(v);
  const ok =
    v.trim() !== '' &&
    Number.isFinite(n) &&
    (f.kind !== 'int' || Number.isInteger(n)) &&
    (f.min === undefined || (f.exclusiveMin ? n > f.min : n >= f.min)) &&
    (f.max === undefined || n <= f.max);
  if (!ok) throw new UsageError(`--${f.name}: expected ${rangeText(f)}, received '${v}'`);
  return n;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity)/;

/**
 * Checks flag names before node:util parses them, so an unknown one gets a
 * suggestion, and joins a value that starts with '-' to its flag
 * (`--lr -1` → `--lr=-1`): util.parseArgs would call it ambiguous.
 */
export function prepareArgv(argv: readonly string[], flags: Record<string, 'string' | 'boolean'>) {
  const names = Object.keys(flags);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0];
      if (!Object.hasOwn(flags, name)) {
        throw new UsageError(`unknown option '--${name}'${suggestion(name, names, '--')}`);
      }
      const next = argv[i + 1];
      if (flags[name] === 'string' && !a.includes('=') && next !== undefined) {
        if (NEGATIVE_NUMBER.test(next) || !next.startsWith('-')) {
          out.push(`${a}=${next}`);
          i++;
          continue;
        }
      }
    }
    out.push(a);
  }
  return out;
}

/** Strict parsing of raw string/boolean flags; every problem is a UsageError. */
export function parseRaw(
  argv: readonly string[],
  flags: Record<string, 'string' | 'boolean'>,
): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.entries(flags).map(([k, type]) => [k, { type }]));
  const args = prepareArgv(argv, flags);
  try {
    const { values } = parseArgs({ args, strict: true, allowPositionals: false, options });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parses and validates `argv` against a command's table; defaults fill absent flags. */
export function parseCommand(def: CommandDef, argv: readonly string[]): FlagValues {
  const kinds = Object.fromEntries(
    def.flags.map((f) => [f.name, f.kind === 'boolean' ? 'boolean' : 'string'] as const),
  );
  let raw: Record<string, string | boolean | undefined>;
  try {
    raw = parseRaw(argv, kinds);
  } catch (e) {
    if (e instanceof UsageError) e.command = def.name;
    throw e;
  }
  const values: FlagValues = Object.create(null);
  try {
    for (const f of def.flags) {
      const v = raw[f.name];
      if (v === undefined) values[f.name] = f.default;
      else if (f.kind === 'boolean') values[f.name] = v === true;
      else if (f.kind === 'int' || f.kind === 'number') values[f.name] = numericValue(f, String(v));
      else if (f.kind === 'choice') values[f.name] = choiceValue(f.name, String(v), f.values ?? []);
      else values[f.name] = String(v);
    }
  } catch (e) {
    if (e instanceof UsageError) e.command = def.name;
    throw e;
  }
  return values;
}

/** Whether the command line asks for help (before any flag is checked). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  return head.includes('--help') || head.includes('-h');
}
