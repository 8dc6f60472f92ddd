/**
 * The nerve site. VitePress 1.6.4 (Vite 5) renders the guides of docs/ from
 * their one source: srcDir is the repository root, only docs/ and
 * apps/site/pages/ are pages, and rewrites give them short URLs
 * (docs/x.md → /guide/x, apps/site/pages/x.md → /x). Nothing loads from a
 * CDN: no external fonts, no analytics, no search service.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';
import { apiDevServer } from '../api/dev.js';
import { siteExperiments } from './experiments.js';

const guides: [string, string][] = [
  ['training-guide', 'Training: a guided tour'],
  ['own-data', 'Your own data (CSV)'],
  ['lr-find', 'Choosing the learning rate'],
  ['transfer-learning', 'Transfer learning'],
  ['onnx', 'Export to ONNX'],
  ['lab', 'The lab (all experiments)'],
  ['browser', 'nerve in the browser'],
  ['reliability', 'Reliability'],
  ['performance', 'Performance'],
  ['benchmarks', 'Benchmarks'],
  ['architecture', 'Architecture'],
  ['design', 'Design decisions'],
  ['contributing', 'Working on nerve'],
];

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const packagesDir = fileURLToPath(new URL('../../../packages/', import.meta.url));

/**
 * Keeps the modules that the workspace packages list under `sideEffects`
 * (e.g. @nerve/core's ops/methods.ts, which installs the Tensor methods).
 * Vite matches those lists against the package's path as linked in
 * node_modules, while the sources resolve to their real paths, so without
 * this the build drops them as side-effect free.
 */
function workspaceSideEffects() {
  const lists = new Map<string, string[] | boolean>();
  const listOf = (pkg: string): string[] | boolean => {
    let l = lists.get(pkg);
    if (l === undefined) {
      try {
        const json = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8'));
        l = json.sideEffects ?? true;
      } catch {
        l = true;
      }
      lists.set(pkg, l as string[] | boolean);
    }
    return l as string[] | boolean;
  };
  return {
    name: 'nerve-workspace-side-effects',
    transform(code: string, id: string) {
      const rel = relative(packagesDir, id.split('?')[0]);
      if (rel.startsWith('..')) return null;
      const [pkg, ...rest] = rel.split('/');
      const list = listOf(pkg);
      const file = `./${rest.join('/')}`;
      // A listed module, or a package's entry: Rollup does not follow the
      // side-effect imports of a module it considers free of side effects.
      const keep = Array.isArray(list) && (list.includes(file) || file === './src/index.ts');
      return keep ? { code, moduleSideEffects: true, map: null } : null;
    },
  };
}

type Use = (
  fn: (req: unknown, res: { setHeader(k: string, v: string): void }, next: () => void) => void,
) => void;

/** Sends the isolation headers on every response of the dev and preview servers. */
function isolationHeaders() {
  // Returns nothing: a function returned from configureServer would run as a post hook.
  const add = (server: { middlewares: { use: Use } }): void => {
    server.middlewares.use((_req, res, next) => {
      for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
      next();
    });
  };
  return { name: 'nerve-isolation-headers', configureServer: add, configurePreviewServer: add };
}

export default defineConfig({
  title: 'nerve',
  description:
    'Neural networks in TypeScript: train in the browser, run the lecture’s experiments.',
  lang: 'en-US',
  // An inline icon: no request for /favicon.ico (which would 404 on a bare static host).
  head: [
    [
      'link',
      {
        rel: 'icon',
        href: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%233451b2'/%3E%3C/svg%3E",
      },
    ],
  ],
  srcDir: '../..',
  srcExclude: [
    '*.md',
    '.changeset/**',
    'apps/cli/**',
    'apps/site/README.md',
    'apps/site/assets/**',
    'apps/site/test/**',
    'bench/**',
    'examples/**',
    'packages/**',
    'scripts/**',
    'test/**',
    'docs/api-plan.md',
    '**/node_modules/**',
  ],
  rewrites: {
    'apps/site/pages/:page*': ':page*',
    'docs/:page': 'guide/:page',
  },
  cleanUrls: false,
  // GitHub's high-contrast Shiki themes: the default github-light/-dark token
  // colours (keywords, comments) fall below 4.5:1 on VitePress's code
  // background (axe-core, test/a11y.test.ts).
  markdown: { theme: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' } },
  // The guides link to source files in the repository (../packages/…), which are not pages.
  ignoreDeadLinks: true,
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Demo', link: '/' },
      { text: 'Playground', link: '/playground' },
      { text: 'Lab', link: '/lab/' },
      { text: 'Search', link: '/search' },
      { text: 'Transfer', link: '/transfer' },
      { text: 'Examples', link: '/examples' },
      { text: 'Guides', link: '/guide/training-guide' },
      // TypeDoc's HTML (api/build.mjs), not a VitePress page: `target` makes it a full load.
      { text: 'API', link: '/api/index.html', target: '_self' },
    ],
    sidebar: {
      '/lab/': [
        {
          text: 'Lab experiments',
          items: [
            { text: 'Overview', link: '/lab/' },
            ...siteExperiments.map((e) => ({ text: e.title, link: `/lab/${e.id}` })),
          ],
        },
      ],
      '/guide/': [
        { text: 'Guides', items: guides.map(([p, text]) => ({ text, link: `/guide/${p}` })) },
      ],
    },
    outline: { level: [2, 3] },
  },
  vite: {
    // Workspace packages resolve to their TypeScript sources; 'browser'
    // picks @nerve/data's and @nerve/plot's browser entries.
    resolve: { conditions: ['@nerve/source', 'browser'] },
    plugins: [workspaceSideEffects(), isolationHeaders(), apiDevServer()],
    worker: { format: 'es', plugins: () => [workspaceSideEffects()] },
    // Cross-origin isolation (SharedArrayBuffer) in `pnpm site` and `vitepress preview`
    // too; a static host should send the same two headers (see apps/site/README.md).
    server: { fs: { allow: ['../..'] } },
    // Pre-bundled at start, so the dev server does not reload the page when the
    // curves first import it.
    optimizeDeps: { include: ['@nerve/plot > @observablehq/plot'] },
    // ES2022: top-level await, which the runnable examples use (examples/getting-started/fit.ts);
    // every browser with module workers and WebGPU has it.
    build: { chunkSizeWarningLimit: 2000, target: 'es2022' },
  },
});
