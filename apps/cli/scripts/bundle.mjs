#!/usr/bin/env node
/**
 * Bundles the CLI and every workspace package it uses into one file,
 * dist/nerve.mjs, runnable with `node` outside the monorepo. The built-in
 * digits data travels beside it in dist/assets/.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(here, 'dist');
// The bundle has no package.json beside it: `nerve --version` gets the version baked in.
const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
mkdirSync(join(dist, 'assets'), { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(dist, 'nerve.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['@nerve/source'],
  // Lets the CLI know it runs as one file (no worker entry beside it yet).
  define: { 'process.env.NERVE_BUNDLED': '"1"', NERVE_CLI_VERSION: JSON.stringify(version) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __nerveRequire } from 'node:module'; const require = __nerveRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
copyFileSync(
  join(here, '..', '..', 'packages', 'data', 'assets', 'digits.csv.gz'),
  join(dist, 'assets', 'digits.csv.gz'),
);
console.log(`bundled ${join(dist, 'nerve.mjs')}`);
