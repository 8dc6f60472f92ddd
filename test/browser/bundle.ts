/**
 * Bundles the test page with esbuild's JS API into a directory (a temp dir:
 * nothing is committed). Workspace packages resolve to their TypeScript
 * sources through the `@nerve/source` condition, as in vitest.config.ts;
 * `vitest` (imported by @nerve/core/testing) is replaced by the in-page
 * runner, whose `expect` is vitest's own @vitest/expect, found through vitest
 * and imported as `virtual:vitest-expect` (page/vitest-expect.d.ts says why).
 */
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** @vitest/expect is a dependency of vitest, not of the repo: resolve it from vitest. */
function vitestExpectPath(): string {
  const fromRoot = createRequire(import.meta.url);
  return createRequire(fromRoot.resolve('vitest/package.json')).resolve('@vitest/expect');
}

/** Writes index.html and main.js (with an inline source map) into `outDir`. */
export async function bundlePage(outDir: string): Promise<void> {
  await build({
    entryPoints: [join(here, 'page', 'main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@nerve/source'],
    alias: { vitest: join(here, 'page', 'runner.ts') },
    plugins: [
      {
        name: 'vitest-expect',
        setup(b) {
          b.onResolve({ filter: /^virtual:vitest-expect$/ }, () => ({ path: vitestExpectPath() }));
        },
      },
    ],
    sourcemap: 'inline',
    logLevel: 'error',
  });
  copyFileSync(join(here, 'page', 'index.html'), join(outDir, 'index.html'));
}
