import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The workspace source files an esbuild bundle of `code` contains (as a user's worker script bundles @nerve/tune). */
async function bundledSources(code: string): Promise<string[]> {
  // Resolved from the repository's root, where the workspace packages are linked.
  const r = await build({
    stdin: { contents: code, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    write: false,
    outfile: 'entry.mjs',
    platform: 'node',
    format: 'esm',
    conditions: ['@nerve/source'],
    external: ['pg-native'],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const out = Object.values(r.metafile.outputs)[0];
  return Object.keys(out.inputs)
    .map((p) => relative(root, join(root, p)))
    .filter((p) => p.startsWith('packages/'));
}

describe('a bundled study worker', () => {
  it("leaves out core's tensor library: only core's errors and seeded generator come along", async () => {
    // The control: importing anything from @nerve/core's main entry brings the tensor library
    // (its ops patch Tensor on import, a side effect no bundler may drop).
    const control = await bundledSources(
      `import { NerveError } from '@nerve/core'; console.log(NerveError.name);`,
    );
    expect(control).toContain('packages/core/src/tensor.ts');
    const worker = await bundledSources(
      `import { runStudyWorker, space, uniform, randomSearch } from '@nerve/tune';
       await runStudyWorker({ storage: process.argv[2], study: 's', space: space({ x: uniform(0, 1) }),
         searcher: randomSearch({ trials: 4 }), objective: async (c) => c.x });`,
    );
    expect(worker).toContain('packages/tune/src/study-worker.ts');
    expect(worker).toContain('packages/tune/src/study-postgres.ts');
    expect(worker.filter((p) => p.startsWith('packages/core/')).sort()).toEqual([
      'packages/core/src/base.ts',
      'packages/core/src/errors.ts',
      'packages/core/src/process-state.ts',
      'packages/core/src/random.ts',
    ]);
  });
});
