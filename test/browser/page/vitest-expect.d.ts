/**
 * Types for `virtual:vitest-expect`, the page's name for vitest's own
 * matcher package `@vitest/expect`. That package is a dependency of vitest,
 * not of the repo, so neither TypeScript nor esbuild finds it from here by
 * name; ../bundle.ts maps the virtual name to the copy vitest resolves.
 * (Declaring `@vitest/expect` itself here would replace the real types that
 * vitest's own declarations re-export.)
 */
declare module 'virtual:vitest-expect' {
  import type { ExpectStatic, chai as Chai } from 'vitest';
  type ChaiPlugin = Parameters<typeof Chai.use>[0];
  export const chai: typeof Chai;
  export const JestChaiExpect: ChaiPlugin;
  export const JestExtend: ChaiPlugin;
  export const JestAsymmetricMatchers: ChaiPlugin;
  export const GLOBAL_EXPECT: unique symbol;
  export const ASYMMETRIC_MATCHERS_OBJECT: unique symbol;
  export function setState(state: Record<string, unknown>, expect: ExpectStatic): void;
}
