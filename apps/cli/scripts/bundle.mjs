#!/usr/bin/env node
/**
 * Bundles the CLI and every workspace package it uses into dist/nerve.mjs,
 * runnable with `node` outside the monorepo with nothing beside it but:
 * - dist/worker.js, the tune worker thread (tune's pool starts `./worker.js`
 *   next to the module that runs it, which in the bundle is nerve.mjs). It also
 *   exports the tune objective (train-trial.ts), whose module reference points at it, so a
 *   worker imports its objective from its own file: one copy of core per thread.
 * - dist/package.json, `"type": "module"`, so worker.js is ESM wherever dist/ is copied.
 * The digits data are embedded (data's digits-asset.ts is swapped for a copy
 * holding the gzipped CSV), so no assets/ folder is needed. The optional
 * `webgpu` package stays external: a peer dependency the user installs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(here, 'dist');
const asset = join(here, '..', '..', 'packages', 'data', 'assets', 'digits.csv.gz');
/** The module that defines the tune objective and its `{ module, exportName }` reference. */
const OBJECTIVE = join(here, 'src', 'demos', 'train-trial.ts');
// The bundle has no package.json beside it: `nerve --version` gets the version baked in.
const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));

/** Swaps the two files whose behaviour depends on where they sit on disk. */
const placeFree = {
  name: 'nerve-place-free',
  setup(b) {
    b.onLoad({ filter: /[\\/]digits-asset\.ts$/ }, (args) => ({
      loader: 'ts',
      resolveDir: dirname(args.path),
      contents: `
import { NerveError } from '@nerve/core';
import { inflateCapped } from './gzip.js';
const GZ = ${JSON.stringify(readFileSync(asset).toString('base64'))};
/** The digits CSV, embedded in the bundle (gzipped, base64). */
export function digitsAsset(op: string): { source: string; bytes: Uint8Array } {
  const source = 'digits.csv.gz (embedded in the nerve bundle)';
  const gz = new Uint8Array(Buffer.from(GZ, 'base64'));
  const bytes = inflateCapped(op, source, gz, 2 ** 31 - 1, () =>
    NerveError.raw(op, source + ' decompresses to more than 2 GiB'),
  );
  return { source, bytes };
}`,
    }));
    // The objective's module reference names the worker file, not the bundle it sits in.
    b.onLoad({ filter: /[\\/]train-trial\.ts$/ }, (args) => ({
      loader: 'ts',
      resolveDir: dirname(args.path),
      contents: readFileSync(args.path, 'utf8').replace(
        /module:\s*import\.meta\.url/,
        "module: new URL('./worker.js', import.meta.url).href",
      ),
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@nerve/source'],
  external: ['webgpu'],
  plugins: [placeFree],
  define: { NERVE_CLI_VERSION: JSON.stringify(version) },
  // esbuild's ESM output for Node: bundled CommonJS-style code may call require().
  banner: {
    js: "import { createRequire as __nerveRequire } from 'node:module'; const require = __nerveRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

rmSync(dist, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(dist, 'nerve.mjs'),
  banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
});
const tuneWorker = join(here, '..', '..', 'packages', 'tune', 'src', 'worker.ts');
await build({
  ...common,
  stdin: {
    contents: `import ${JSON.stringify(tuneWorker)};\nexport { trainTrial, setThreads } from ${JSON.stringify(OBJECTIVE)};\n`,
    resolveDir: here,
    sourcefile: 'worker-entry.ts',
    loader: 'ts',
  },
  outfile: join(dist, 'worker.js'),
});
writeFileSync(join(dist, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
console.log(`bundled ${join(dist, 'nerve.mjs')} and ${basename(join(dist, 'worker.js'))}`);
