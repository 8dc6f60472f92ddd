/**
 * A minimal stand-in for vitest's describe/it/beforeAll/expect, so the
 * conformance suite and these tests can run as a plain Node script on a
 * machine without node_modules (the lent GPU machine). Bundled by
 * `build.sh` with esbuild's `--alias:vitest=`; never imported by vitest runs.
 */
type Body = () => unknown;
interface Suite {
  name: string;
  /** Registers the suite's items; run when the suite is reached (it may be async). */
  fn: Body;
  skip: boolean;
  before: Body[];
  items: (Suite | { name: string; body: Body; skip: boolean })[];
}

const root: Suite = { name: '', fn: () => {}, skip: false, before: [], items: [] };
let current = root;

function collect(name: string, fn: Body, skip = false): void {
  current.items.push({ name, fn, skip, before: [], items: [] });
}

export const describe = Object.assign((name: string, fn: Body) => collect(name, fn), {
  runIf: (cond: boolean) => (name: string, fn: Body) => collect(name, fn, !cond),
  skipIf: (cond: boolean) => (name: string, fn: Body) => collect(name, fn, cond),
});

export const it = Object.assign(
  (name: string, body: Body) => current.items.push({ name, body, skip: false }),
  { skip: (name: string, _body: Body) => current.items.push({ name, body: () => {}, skip: true }) },
);
export const test = it;

export function beforeAll(fn: Body): void {
  current.before.push(fn);
}

function fail(msg: string | undefined, what: string): never {
  throw new Error(msg ? `${msg}: ${what}` : what);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as never)[k], (b as never)[k]));
}

const show = (v: unknown) => {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v).slice(0, 200);
  } catch {
    return String(v);
  }
};

function matchers(v: unknown, msg: string | undefined, negate: boolean) {
  const check = (ok: boolean, what: string) => {
    if (ok === negate) fail(msg, `${negate ? 'not ' : ''}${what}`);
  };
  const thrown = (): unknown => {
    try {
      (v as () => unknown)();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  const throwMatch = (e: unknown, want?: string | RegExp) =>
    e instanceof Error &&
    (want === undefined ||
      (typeof want === 'string' ? e.message.includes(want) : want.test(e.message)));
  return {
    toBe: (w: unknown) => check(Object.is(v, w), `expected ${show(v)} to be ${show(w)}`),
    toEqual: (w: unknown) => check(deepEqual(v, w), `expected ${show(v)} to equal ${show(w)}`),
    toBeGreaterThan: (w: number) => check((v as number) > w, `expected ${v} > ${w}`),
    toBeGreaterThanOrEqual: (w: number) => check((v as number) >= w, `expected ${v} ≥ ${w}`),
    toBeLessThan: (w: number) => check((v as number) < w, `expected ${v} < ${w}`),
    toBeLessThanOrEqual: (w: number) => check((v as number) <= w, `expected ${v} ≤ ${w}`),
    toBeInstanceOf: (c: abstract new (...a: never[]) => unknown) =>
      check(v instanceof c, `expected an instance of ${c.name}`),
    toContain: (w: unknown) =>
      check(
        (v as { includes(x: unknown): boolean }).includes(w),
        `expected ${show(v)} to contain ${show(w)}`,
      ),
    toBeUndefined: () => check(v === undefined, `expected undefined, got ${show(v)}`),
    toThrow: (want?: string | RegExp) => {
      const e = thrown();
      check(throwMatch(e, want), `expected a throw matching ${String(want)}, got ${String(e)}`);
    },
    rejects: {
      toThrow: async (want?: string | RegExp) => {
        let e: unknown;
        try {
          await (v as Promise<unknown>);
        } catch (err) {
          e = err;
        }
        check(
          throwMatch(e, want),
          `expected a rejection matching ${String(want)}, got ${String(e)}`,
        );
      },
    },
  };
}

export function expect(v: unknown, msg?: string) {
  return Object.assign(matchers(v, msg, false), { not: matchers(v, msg, true) });
}

/** Runs everything collected; returns [passed, failed, skipped]. */
export async function runAll(log: (line: string) => void): Promise<[number, number, number]> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  async function visit(s: Suite, path: string): Promise<void> {
    const prev = current;
    current = s;
    try {
      await s.fn();
    } finally {
      current = prev;
    }
    for (const b of s.before) await b();
    for (const item of s.items) {
      if ('items' in item) {
        if (item.skip) skipped++;
        else await visit(item, `${path}${item.name} > `);
        continue;
      }
      if (item.skip) {
        skipped++;
        continue;
      }
      const t0 = performance.now();
      try {
        await item.body();
        passed++;
        const ms = performance.now() - t0;
        if (ms > 500) log(`slow ${ms.toFixed(0)} ms: ${path}${item.name}`);
      } catch (e) {
        failed++;
        log(
          `FAIL ${path}${item.name}\n  ${String((e as Error).message ?? e)
            .split('\n')
            .join('\n  ')}`,
        );
      }
    }
  }
  await visit(root, '');
  return [passed, failed, skipped];
}
