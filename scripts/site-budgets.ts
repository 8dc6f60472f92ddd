/**
 * `pnpm site:budgets`: measures the site against issue 13's budgets and
 * writes the numbers into docs/performance.md ("Site budgets").
 *
 * - build: `pnpm --filter @nerve/site build`, timed (≤ 60 s);
 * - initial JS: the home page's JavaScript before any interaction, i.e. the
 *   module script and the modulepreload chunks the built index.html names,
 *   each gzipped (zlib level 6, what static hosts commonly send) and summed
 *   (≤ 250 KB); the demo's worker, fetched once the page has mounted, is
 *   listed apart;
 * - in Debian's headless Chromium, against the built site served on
 *   127.0.0.1: the home demo (CPU backend, in its worker) trains its 40
 *   epochs; the time to 97% test accuracy (≤ 0.5 s) and to the end of 40
 *   epochs (≤ 2 s) are the demo's own clock (it starts after the data is
 *   loaded), and real mouse and keyboard input on the page throughout
 *   training gives the worst input delay (≤ 100 ms, from the event's
 *   timeStamp to the next frame after its handler).
 *
 * `--runs N` repeats the training N times on one page load (default 3) and
 * reports the median and the range; `--no-write` only prints.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { inputDelays, poke, recordInputDelays } from '../apps/site/test/input-delay.js';
import { serveSite } from '../apps/site/test/serve.js';
import { haveChromium, launchChromium } from '../test/browser/chromium.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dist = join(repo, 'apps/site/.vitepress/dist');
const doc = join(repo, 'docs/performance.md');

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const WRITE = !args.includes('--no-write');
if (!Number.isInteger(RUNS) || RUNS < 1)
  throw new Error(
    `site:budgets: expected --runs to be a positive integer, received ${args[runsAt + 1]}`,
  );

/** Wraps a paragraph at 76 columns, as the docs are written. */
const wrap = (text: string): string =>
  text
    .split(' ')
    .reduce<string[]>((lines, word) => {
      const last = lines[lines.length - 1];
      if (last !== undefined && last.length + 1 + word.length <= 76)
        lines[lines.length - 1] = `${last} ${word}`;
      else lines.push(word);
      return lines;
    }, [])
    .join('\n');
const gz = (path: string) => gzipSync(readFileSync(path), { level: 6 }).length;
const kb = (bytes: number) => bytes / 1000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// 1. The build, timed.
const load0 = loadavg()[0];
console.log('building the site…');
const t0 = performance.now();
execFileSync('pnpm', ['--filter', '@nerve/site', 'build'], { cwd: repo, stdio: 'pipe' });
const buildSeconds = (performance.now() - t0) / 1000;
console.log(`build: ${buildSeconds.toFixed(1)} s`);

// 2. The home page's initial JavaScript.
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = new Set<string>();
for (const m of html.matchAll(/<script type="module"[^>]*src="([^"]+)"/g)) initial.add(m[1]);
for (const m of html.matchAll(/<link rel="modulepreload"[^>]*href="([^"]+)"/g)) initial.add(m[1]);
if (initial.size === 0)
  throw new Error('site:budgets: expected module scripts in index.html, received none');
const chunks = [...initial].map((src) => ({ src, gz: gz(join(dist, src.replace(/^\//, ''))) }));
const inlineJs = [...html.matchAll(/<script(?![^>]*src=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => gzipSync(m[1], { level: 6 }).length)
  .reduce((a, b) => a + b, 0);
const initialGz = chunks.reduce((a, c) => a + c.gz, 0) + inlineJs;
for (const c of chunks) console.log(`  ${c.src}: ${kb(c.gz).toFixed(1)} KB gz`);
console.log(
  `initial JS: ${kb(initialGz).toFixed(1)} KB gz (${chunks.length} files + inline ${kb(inlineJs).toFixed(1)} KB)`,
);

// 3. The home demo in Chromium.
if (!haveChromium)
  throw new Error('site:budgets: expected /usr/bin/chromium (Debian chromium), received none');
interface DemoState {
  running: boolean;
  trained: boolean;
  testAccuracy: number;
  seconds: number;
  firstAbove97: number | null;
  epochs: number;
  status: string;
}
const server = await serveSite(dist);
const browser = await launchChromium();
const runs: {
  seconds: number;
  firstAbove97: number | null;
  accuracy: number;
  worstInput: number;
  worstFrame: number;
  inputs: number;
}[] = [];
let workerGz = 0;
let chromiumVersion = '';
try {
  chromiumVersion = browser.context.browser()?.version() ?? '';
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 1400 });
  const workers: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('.worker') || r.url().includes('worker-'))
      workers.push(new URL(r.url()).pathname);
  });
  await page.goto(server.url, { waitUntil: 'networkidle' });
  await recordInputDelays(page);
  const state = () =>
    page.evaluate(() =>
      (globalThis as unknown as { __digitsDemo: { state(): DemoState } }).__digitsDemo.state(),
    );
  for (let run = 0; run < RUNS; run++) {
    const before = (await inputDelays(page)).length;
    await page.click('[data-test=train]');
    let during = before;
    for (let round = 0; ; round++) {
      if (!(await state()).running) break;
      await poke(page, 'canvas.pad', round);
      if ((await state()).running) during = (await inputDelays(page)).length;
      await page.waitForTimeout(50);
    }
    const s = await state();
    if (!s.trained || /error/.test(s.status))
      throw new Error(`site:budgets: the demo did not train: ${s.status}`);
    const delays = (await inputDelays(page)).slice(before, during);
    const worst = delays.length ? Math.max(...delays.map((d) => d.handler)) : Number.NaN;
    const worstFrame = delays.length ? Math.max(...delays.map((d) => d.frame)) : Number.NaN;
    runs.push({
      seconds: s.seconds,
      firstAbove97: s.firstAbove97,
      accuracy: s.testAccuracy,
      worstInput: worst,
      worstFrame,
      inputs: delays.length,
    });
    console.log(
      `run ${run + 1}: 40 epochs in ${s.seconds.toFixed(2)} s, 97% after ${s.firstAbove97?.toFixed(2) ?? 'never'} s, test accuracy ${(100 * s.testAccuracy).toFixed(1)}%, worst input ${worst.toFixed(1)} ms to the handler, ${worstFrame.toFixed(1)} ms to the next frame, over ${delays.length} events`,
    );
  }
  for (const w of new Set(workers)) {
    try {
      workerGz += gz(join(dist, w.replace(/^\//, '')));
    } catch {
      // a worker served from elsewhere is not counted
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const load1 = loadavg()[0];

// 4. The table, against the targets.
const secs = runs.map((r) => r.seconds);
const to97 = runs.map((r) => r.firstAbove97 ?? Number.POSITIVE_INFINITY);
const worstInput = Math.max(...runs.map((r) => r.worstInput));
const worstFrame = Math.max(...runs.map((r) => r.worstFrame));
const range = (xs: number[], d: number) =>
  xs.length > 1 ? ` (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})` : '';
const rows: [string, string, string, boolean][] = [
  [
    'home demo: 97% test accuracy after',
    `${median(to97).toFixed(2)} s${range(to97, 2)}`,
    '≤ 0.5 s',
    median(to97) <= 0.5,
  ],
  [
    'home demo: 40 epochs in',
    `${median(secs).toFixed(2)} s${range(secs, 2)}`,
    '≤ 2 s',
    median(secs) <= 2,
  ],
  [
    'worst input delay while training: event to handler',
    `${worstInput.toFixed(0)} ms (${runs.reduce((a, r) => a + r.inputs, 0)} events)`,
    '≤ 100 ms',
    worstInput <= 100,
  ],
  [
    '… and to the next frame after the handler',
    `${worstFrame.toFixed(0)} ms`,
    '≤ 250 ms (the curves’ update period)',
    worstFrame <= 250,
  ],
  [
    'home page initial JS',
    `${kb(initialGz).toFixed(1)} KB gz (${chunks.length} files)`,
    '≤ 250 KB gz',
    kb(initialGz) <= 250,
  ],
  ['site build', `${buildSeconds.toFixed(1)} s`, '≤ 60 s', buildSeconds <= 60],
];
const table = [
  '| budget | measured | target | status |',
  '| --- | --- | --- | --- |',
  ...rows.map(
    ([what, got, target, ok]) => `| ${what} | ${got} | ${target} | ${ok ? 'met' : '**missed**'} |`,
  ),
].join('\n');
console.log(`\n${table}\n`);

if (WRITE) {
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus();
  const machine = `${cpu.length} vCPUs (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)}\u00a0GiB, Node ${process.versions.node}, Chromium ${chromiumVersion} headless`;
  const section = [
    '## Site budgets (`pnpm site:budgets`)',
    '',
    wrap(
      `Measured by \`scripts/site-budgets.ts\` on ${date}: ${machine}; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} during the run (a shared VM). The home demo trained ${RUNS} times on one page load (median, range in brackets); its clock starts once the digits are loaded. Initial JS is the module script and the modulepreload chunks of the built index.html, gzipped at level 6${inlineJs ? ', plus the inline scripts' : ''}; the demo's worker (${kb(workerGz).toFixed(1)} KB gz) loads after the page has mounted and is not counted.`,
    ),
    '',
    table,
    '',
    'Initial JS by file:',
    '',
    ...chunks.map((c) => `- \`${c.src}\`: ${kb(c.gz).toFixed(1)} KB`),
    '',
  ].join('\n');
  let text = readFileSync(doc, 'utf8');
  const start = text.indexOf('## Site budgets');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 3);
    text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
  } else {
    text = `${text.trimEnd()}\n\n${section}`;
  }
  writeFileSync(doc, text);
  console.log(`wrote the "Site budgets" section of ${doc}`);
}
