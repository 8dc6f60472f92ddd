#!/usr/bin/env node
/**
 * The CommonJS half of a package's dual build, run after `tsc -p tsconfig.build.json`
 * in the package's folder: every source file is transpiled on its own (no bundling,
 * so each module exists once and `@nerve/core`'s registry stays one object) into
 * dist/cjs/, the ESM declarations are copied beside them, and dist/cjs/package.json
 * says `"type": "commonjs"` so Node and TypeScript read both as CommonJS.
 *
 * Usage: node ../../scripts/build-cjs.mjs   (from the package folder)
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const pkgDir = process.cwd();
const src = join(pkgDir, 'src');
const dist = join(pkgDir, 'dist');
const out = join(dist, 'cjs');

/** Every file under `dir`, recursively, as absolute paths. */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const sources = walk(src).filter((f) => /\.ts$/.test(f) && !/\.(test|d)\.ts$/.test(f));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// CommonJS has no import.meta: files that use it get the equivalent from __filename.
const META = '__nerveImportMetaUrl';
const usesMeta = sources.filter((f) => readFileSync(f, 'utf8').includes('import.meta.url'));
const common = {
  outdir: out,
  outbase: src,
  format: 'cjs',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  // Keep `import()` as it is: it loads ESM-only modules (webgpu, tune objectives) by URL.
  supported: { 'dynamic-import': true },
};
const plain = sources.filter((f) => !usesMeta.includes(f));
if (plain.length > 0) await build({ ...common, entryPoints: plain });
for (const f of usesMeta) {
  await build({
    ...common,
    entryPoints: [f],
    define: { 'import.meta.url': META },
    banner: { js: `const ${META} = require('node:url').pathToFileURL(__filename).href;` },
  });
}

// Declarations: the same text, read as CommonJS because of the package.json below.
for (const f of walk(dist)) {
  if (f.startsWith(`${out}/`) || !/\.d\.ts(\.map)?$/.test(f)) continue;
  const to = join(out, relative(dist, f));
  mkdirSync(dirname(to), { recursive: true });
  if (f.endsWith('.map')) {
    // One folder deeper: the map's paths back to src/ gain a `../`.
    const map = JSON.parse(readFileSync(f, 'utf8'));
    map.sources = map.sources.map((s) => `../${s}`);
    writeFileSync(to, JSON.stringify(map));
  } else copyFileSync(f, to);
}
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
console.log(`cjs: ${sources.length} modules -> ${relative(pkgDir, out)}`);
