/**
 * Generates the API reference as static HTML with TypeDoc's default theme
 * (see apps/site/README.md, "API reference", for why HTML and not Markdown
 * pages) into .vitepress/cache/api/html (gitignored). It skips TypeDoc when
 * the inputs (the packages' sources and package.json files, these options,
 * the site's package.json with the TypeDoc versions) hash to what the last
 * run wrote, so a rebuild without source changes costs one hash of the
 * sources. scripts/build.mjs runs it beside `vitepress build` and copies the
 * pages to dist/api/; `node api/build.mjs [--force]` runs it alone (for
 * `pnpm site`, whose dev server serves the same folder at /api/).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accessibleSummaries } from './a11y.mjs';
import { typedocOptions } from './options.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const site = join(here, '..');
const repo = join(site, '..', '..');
/** Where the HTML goes (served at /api/). */
export const apiCache = join(site, '.vitepress', 'cache', 'api');
export const apiHtml = join(apiCache, 'html');
const hashFile = join(apiCache, 'inputs-hash');

/** The sha256 of every input that changes the generated pages. */
export function inputsHash() {
  const h = createHash('sha256');
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) files.push(p);
    }
  };
  for (const pkg of readdirSync(join(repo, 'packages'))) {
    const src = join(repo, 'packages', pkg, 'src');
    if (existsSync(src)) walk(src);
    const json = join(repo, 'packages', pkg, 'package.json');
    if (existsSync(json)) files.push(json);
  }
  for (const f of readdirSync(here)) files.push(join(here, f));
  files.push(join(site, 'package.json'));
  files.sort();
  for (const f of files) {
    h.update(relative(repo, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * Makes apiHtml current. Returns whether TypeDoc ran and the seconds taken.
 * Throws when TypeDoc reports an error.
 */
export async function buildApi({ force = false } = {}) {
  const t0 = performance.now();
  const hash = inputsHash();
  const upToDate =
    !force &&
    existsSync(join(apiHtml, 'index.html')) &&
    existsSync(hashFile) &&
    readFileSync(hashFile, 'utf8') === hash;
  if (upToDate) return { generated: false, seconds: (performance.now() - t0) / 1000 };
  rmSync(apiCache, { recursive: true, force: true });
  mkdirSync(apiCache, { recursive: true });
  // Imported here: a cached build never loads TypeDoc.
  const typedoc = await import('typedoc');
  const { Application } = typedoc;
  const app = await Application.bootstrapWithPlugins(
    typedocOptions({
      out: apiHtml,
      name: 'nerve API reference',
      // The check for undocumented exports is test/api-docs.test.ts; the build only writes pages.
      validation: { notExported: false, invalidLink: false, notDocumented: false },
      logLevel: 'Error',
      favicon: join(here, 'favicon.svg'),
      customCss: join(here, 'theme.css'),
      // Absolute: TypeDoc writes the same header into pages at every depth.
      navigationLinks: { Demo: '/', Lab: '/lab/', Guides: '/guide/training-guide.html' },
      titleLink: '/api/',
      githubPages: false,
      hideGenerator: true,
    }),
  );
  // No link inside a <summary> (axe's nested-interactive): see a11y.mjs.
  accessibleSummaries(app, typedoc);
  const project = await app.convert();
  if (!project || app.logger.hasErrors())
    throw new Error('api: TypeDoc could not convert the packages');
  await app.generateOutputs(project);
  if (app.logger.hasErrors()) throw new Error('api: TypeDoc could not write the pages');
  writeFileSync(hashFile, hash);
  return { generated: true, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildApi({ force: process.argv.includes('--force') });
  console.log(
    `api: ${r.generated ? 'generated' : 'up to date,'} ${relative(site, apiHtml)} in ${r.seconds.toFixed(1)} s`,
  );
}
