/**
 * Runnable examples state what they print: an example file ends with a
 * block comment that starts with the line `/* Output:` and holds the
 * expected output. The docs site shows the code and that output from the
 * file's one source (imported with Vite's `?raw`) and runs the file in a
 * worker; the Node test (getting-started/getting-started.test.ts) runs the
 * same file and compares what it printed (test/example-output.ts).
 *
 * `formatLog` writes console.log arguments as Node does (util.format with
 * no colours) for the values examples print: strings, numbers, booleans,
 * null/undefined and short arrays and plain objects of them, on one line.
 * Anything else throws, rather than print something Node would not; the
 * Node test checks it against util.format for every call of every example,
 * so the page and Node print the same text.
 */

/** An example's source split into its code and its stated output (null when it states none). */
export function splitExample(source: string): { code: string; expected: string | null } {
  const m = /\n\/\* Output:\n([\s\S]*?)\*\/\s*$/.exec(source);
  if (!m) return { code: source.trimEnd(), expected: null };
  return { code: source.slice(0, m.index).trimEnd(), expected: m[1].replace(/\n$/, '') };
}

/** Node's breakLength and its compact = 3 rule: short objects go on one line. */
const BREAK_LENGTH = 80;

function inspect(v: unknown, level: number): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'string':
      if (!v.includes("'")) return `'${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}'`;
      break;
    case 'object': {
      const isArray = Array.isArray(v);
      if (!isArray && Object.getPrototypeOf(v) !== Object.prototype) break;
      const entries = isArray
        ? (v as unknown[]).map((e) => inspect(e, level + 1))
        : Object.entries(v as Record<string, unknown>).map(
            ([k, e]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: ${inspect(e, level + 1)}`,
          );
      const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
      if (entries.length === 0) return `${open}${close}`;
      // Node groups arrays of more than 6 entries into columns: not written here.
      if (isArray && entries.length > 6) break;
      // Node's isBelowBreakLength: entries plus separators within breakLength.
      const start = entries.length + 2 * level + open.length + 10;
      const total = entries.reduce((s, e) => s + e.length, entries.length + start);
      if (total > BREAK_LENGTH || entries.some((e) => e.includes('\n'))) break;
      return `${open} ${entries.join(', ')} ${close}`;
    }
  }
  throw new Error(
    `formatLog: expected a value an example prints on one line (number, string, short array or plain object), received ${Object.prototype.toString.call(v)}`,
  );
}

/** What console.log prints for these arguments (see the module comment). */
export function formatLog(args: readonly unknown[]): string {
  if (typeof args[0] === 'string' && args[0].includes('%'))
    throw new Error('formatLog: expected no format directives (%) in the first argument');
  return args.map((a) => (typeof a === 'string' ? a : inspect(a, 0))).join(' ');
}
