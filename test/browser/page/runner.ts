/**
 * The page's stand-in for `vitest`: the bundle aliases the `vitest` import of
 * @nerve/core/testing to this file, so the conformance suite registers its
 * describe/it blocks here and runs in the browser unchanged.
 *
 * It implements only what the suite uses (describe, it/test, the four hooks,
 * expect). Anything else the suite starts importing fails the esbuild bundle
 * with "No matching export", rather than silently doing nothing. `expect` is
 * vitest's own: chai with @vitest/expect's Jest matchers (imported under the
 * name `virtual:vitest-expect`, see vitest-expect.d.ts), as vitest builds it.
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  chai,
  setState,
} from 'virtual:vitest-expect';
import type { ExpectStatic } from 'vitest';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

let assertionCalls = 0;

/** vitest's `expect` (the subset of createExpect that needs no test context). */
export const expect = ((value: unknown, message?: string) => {
  assertionCalls++;
  return chai.expect(value, message);
}) as ExpectStatic;
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
setState({ assertionCalls: 0, isExpectingAssertions: false, currentTestName: '' }, expect);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

type Body = () => unknown;

interface TestNode {
  kind: 'test';
  name: string;
  fn: Body;
}

interface SuiteNode {
  kind: 'suite';
  name: string;
  children: (TestNode | SuiteNode)[];
  beforeAll: Body[];
  afterAll: Body[];
  beforeEach: Body[];
  afterEach: Body[];
}

const newSuite = (name: string): SuiteNode => ({
  kind: 'suite',
  name,
  children: [],
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
});

const root = newSuite('');
let current = root;

/** Registers a suite; its body runs now, collecting tests and hooks (as in vitest). */
export function describe(name: string, body: () => void): void {
  const suite = newSuite(name);
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    const r = body() as unknown;
    if (r instanceof Promise) throw new Error(`describe('${name}'): the body must be synchronous`);
  } finally {
    current = parent;
  }
}

/** Registers a test in the current suite. */
export function it(name: string, fn: Body): void {
  current.children.push({ kind: 'test', name, fn });
}
export { it as test };

export const beforeAll = (fn: Body): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Body): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Body): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Body): void => void current.afterEach.push(fn);

/** A failed test (or hook), with the message and the first lines of its stack. */
export interface Failure {
  test: string;
  message: string;
  stack: string;
}

/** The outcome of `runRegistered`. */
export interface RunReport {
  passed: number;
  failed: number;
  /** Full names of the tests left out by `skip`. */
  skipped: string[];
  failures: Failure[];
  /** Full names of the tests that ran, in order, with their milliseconds. */
  tests: { name: string; ms: number; ok: boolean }[];
  assertions: number;
  ms: number;
}

/** Called before each test starts (the page publishes it, for timeouts). */
export type OnTest = (fullName: string, report: RunReport) => void;

const failure = (test: string, e: unknown): Failure => {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    test,
    message: err.message,
    stack: (err.stack ?? '').split('\n').slice(0, 8).join('\n'),
  };
};

function countTests(s: SuiteNode): number {
  return s.children.reduce((n, c) => n + (c.kind === 'test' ? 1 : countTests(c)), 0);
}

/**
 * Runs the registered tests in order, leaving out those whose full name
 * (`suite > … > test`) matches one of `skip`. As in vitest: a suite's beforeAll
 * hooks run before its first test, and when one throws, every test of the
 * suite fails with that error; beforeEach runs outer to inner, afterEach
 * inner to outer; a test fails on the first thrown error (a failing
 * afterEach fails the test too).
 */
export async function runRegistered(
  skip: readonly RegExp[] = [],
  onTest?: OnTest,
): Promise<RunReport> {
  const report: RunReport = {
    passed: 0,
    failed: 0,
    skipped: [],
    failures: [],
    tests: [],
    assertions: 0,
    ms: 0,
  };
  const t0 = performance.now();
  const fail = (name: string, e: unknown) => {
    report.failed++;
    report.failures.push(failure(name, e));
  };

  async function runSuite(s: SuiteNode, path: string[], outer: SuiteNode[]): Promise<void> {
    const chain = [...outer, s];
    const prefix = s.name ? [...path, s.name] : path;
    let children = s.children;
    try {
      for (const h of s.beforeAll) await h();
    } catch (e) {
      const n = countTests(s);
      fail(`${prefix.join(' > ')} (beforeAll; its ${n} tests did not run)`, e);
      report.failed += n - 1;
      children = [];
    }
    for (const c of children) {
      if (c.kind === 'suite') {
        await runSuite(c, prefix, chain);
        continue;
      }
      const name = [...prefix, c.name].join(' > ');
      if (skip.some((re) => re.test(name))) {
        report.skipped.push(name);
        continue;
      }
      onTest?.(name, report);
      const start = performance.now();
      let ok = true;
      try {
        for (const x of chain) for (const h of x.beforeEach) await h();
        await c.fn();
      } catch (e) {
        ok = false;
        fail(name, e);
      }
      for (const x of [...chain].reverse()) {
        for (const h of x.afterEach) {
          try {
            await h();
          } catch (e) {
            if (ok) fail(`${name} (afterEach)`, e);
            ok = false;
          }
        }
      }
      if (ok) report.passed++;
      report.tests.push({ name, ms: Math.round(performance.now() - start), ok });
    }
    try {
      for (const h of s.afterAll) await h();
    } catch (e) {
      fail(`${prefix.join(' > ')} (afterAll)`, e);
    }
  }

  await runSuite(root, [], []);
  report.assertions = assertionCalls;
  report.ms = Math.round(performance.now() - t0);
  return report;
}
