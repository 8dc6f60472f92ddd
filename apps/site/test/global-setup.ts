/**
 * Builds the site once for every test file of the `site` project (vitest
 * globalSetup), so that each page's test file serves the same `dist` and the
 * build is timed once. The build's seconds reach the tests through
 * `inject('siteBuildSeconds')`. Skipped when Chromium is missing and not
 * required: every browser test then skips with one line.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { haveChromium } from '../../../test/browser/chromium.js';

declare module 'vitest' {
  export interface ProvidedContext {
    siteBuildSeconds: number;
  }
}

const repo = fileURLToPath(new URL('../../..', import.meta.url));

export default function setup(project: TestProject): void {
  if (!haveChromium && process.env.NERVE_REQUIRE_BROWSER !== '1') {
    project.provide('siteBuildSeconds', Number.NaN);
    return;
  }
  const t0 = performance.now();
  execFileSync('pnpm', ['--filter', '@nerve/site', 'build'], { cwd: repo, stdio: 'pipe' });
  project.provide('siteBuildSeconds', (performance.now() - t0) / 1000);
}
