/**
 * The site build (`pnpm --filter @nerve/site build`): `vitepress build` in a
 * child process while TypeDoc writes the API reference (api/build.mjs,
 * skipped when its inputs are unchanged), then the API pages are copied to
 * dist/api/ (VitePress empties dist at its start, so the copy comes last).
 * Prints the seconds of each part.
 */
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiHtml, buildApi } from '../api/build.mjs';

const site = fileURLToPath(new URL('..', import.meta.url));
const dist = join(site, '.vitepress', 'dist');
const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);

const vitepress = new Promise((resolve, reject) => {
  const child = spawn(join(site, 'node_modules', '.bin', 'vitepress'), ['build', '.'], {
    cwd: site,
    stdio: 'inherit',
  });
  child.on('error', reject);
  child.on('exit', (code) => {
    if (code === 0) {
      console.log(`site: vitepress build done at ${seconds()} s`);
      resolve();
    } else reject(new Error(`vitepress build exited with ${code}`));
  });
});
const api = buildApi().then((r) => {
  console.log(
    `site: API reference ${r.generated ? 'generated' : 'up to date'} at ${seconds()} s (${r.seconds.toFixed(1)} s)`,
  );
});
const results = await Promise.allSettled([vitepress, api]);
const failed = results.find((r) => r.status === 'rejected');
if (failed) {
  console.error(failed.reason);
  process.exit(1);
}
cpSync(apiHtml, join(dist, 'api'), { recursive: true });
console.log(`site: built in ${seconds()} s (API pages in dist/api/)`);
