/**
 * The nerve site. VitePress 1.6.4 (Vite 5) renders the guides of docs/ from
 * their one source: srcDir is the repository root, only docs/ and
 * apps/site/pages/ are pages, and rewrites give them short URLs
 * (docs/x.md → /guide/x, apps/site/pages/x.md → /x). Nothing loads from a
 * CDN: no external fonts, no analytics, no search service.
 */
import { defineConfig } from 'vitepress';
import { siteExperiments } from './experiments.js';

const guides: [string, string][] = [
  ['training-guide', 'Training: a guided tour'],
  ['lr-find', 'Choosing the learning rate'],
  ['transfer-learning', 'Transfer learning'],
  ['lab', 'The lab (all experiments)'],
  ['browser', 'nerve in the browser'],
  ['reliability', 'Reliability'],
  ['performance', 'Performance'],
  ['benchmarks', 'Benchmarks'],
  ['architecture', 'Architecture'],
  ['design', 'Design decisions'],
  ['contributing', 'Working on nerve'],
];

export default defineConfig({
  title: 'nerve',
  description: 'Neural networks in TypeScript: train in the browser, run the lecture’s experiments.',
  lang: 'en-US',
  srcDir: '../..',
  srcExclude: [
    '*.md',
    '.changeset/**',
    'apps/cli/**',
    'apps/site/README.md',
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
  // The guides link to source files in the repository (../packages/…), which are not pages.
  ignoreDeadLinks: true,
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Demo', link: '/' },
      { text: 'Lab', link: '/lab/' },
      { text: 'Guides', link: '/guide/training-guide' },
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
    worker: { format: 'es' },
    server: { fs: { allow: ['../..'] } },
    build: { chunkSizeWarningLimit: 2000 },
  },
});
