/**
 * Documentation examples state what they print: a ```ts block is followed by
 * a ```text block with its expected output. This module finds the pairs and
 * compares an example's output with what its page says.
 *
 * Numbers are compared with a tolerance (|a − b| ≤ 1e-6 + 1e-4·|b|), because
 * the last bits of a float32 result may differ between machines (FMA in the
 * relaxed-SIMD GEMM, thread splits of a reduction); all other text must match,
 * with any run of white space matching any other. `…` in the expected text
 * stands for anything (e.g. a timing).
 */
import { formatWithOptions } from 'node:util';

/** One example: its code, its expected output (null when the page states none), and where the output block sits. */
export interface Example {
  code: string;
  expected: string | null;
  /** Offset in the page just after the ts block's closing fence (where an output block goes). */
  end: number;
  /** The span of the existing output block, to replace it. */
  outputSpan: [number, number] | null;
}

/** The ```ts blocks of a markdown page, each with the ```text block right after it (blank lines between allowed). */
export function examplesIn(markdown: string): Example[] {
  const out: Example[] = [];
  const re = /```ts\n([\s\S]*?)```/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(markdown)) !== null) {
    const end = m.index + m[0].length;
    const next = /^\n*```text\n([\s\S]*?)```/.exec(markdown.slice(end));
    out.push({
      code: m[1],
      expected: next ? next[1].replace(/\n$/, '') : null,
      end,
      outputSpan: next ? [end, end + next[0].length] : null,
    });
  }
  return out;
}

/** What console.log would have printed for these calls (Node's formatting, no colours). */
export function formatLogs(calls: readonly unknown[][]): string {
  return calls
    .map((args) => formatWithOptions({ colors: false }, ...args))
    .join('\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();
}

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/y;
const closeEnough = (a: number, b: number) =>
  a === b || Math.abs(a - b) <= 1e-6 + 1e-4 * Math.abs(b) || (Number.isNaN(a) && Number.isNaN(b));

/**
 * Whether `actual` matches `expected` (see the module comment). Returns null
 * when it does, or a message that names the first difference.
 */
export function compareOutput(actual: string, expected: string): string | null {
  const pattern: string[] = [];
  const numbers: number[] = [];
  const text = expected.trim();
  for (let i = 0; i < text.length; ) {
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num && !/[\w.]/.test(text[i - 1] ?? '')) {
      pattern.push('(-?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[+-]?\\d+)?)');
      numbers.push(Number(num[0]));
      i += num[0].length;
    } else if (/\s/.test(text[i])) {
      while (i < text.length && /\s/.test(text[i])) i++;
      pattern.push('\\s+');
    } else if (text[i] === '…') {
      pattern.push('[\\s\\S]*?');
      i++;
    } else {
      pattern.push(text[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      i++;
    }
  }
  const m = new RegExp(`^${pattern.join('')}$`).exec(actual.trim());
  if (!m)
    return `the output differs from the page:\n--- expected\n${text}\n--- printed\n${actual.trim()}`;
  for (let k = 0; k < numbers.length; k++) {
    const got = Number(m[k + 1]);
    if (!closeEnough(got, numbers[k])) {
      return `number ${k + 1} of the output is ${got}, the page says ${numbers[k]}:\n--- printed\n${actual.trim()}`;
    }
  }
  return null;
}
