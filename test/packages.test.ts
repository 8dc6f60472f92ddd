/**
 * The packages as npm users meet them: scripts/check-packages.mjs builds and
 * packs every package, runs publint and attw (node16 ESM and CommonJS) on each
 * tarball, installs the library tarballs into a fresh npm project (third-party
 * dependencies from a local registry of the lockfile's copies, no network),
 * runs the examples of README.md, packages/train/README.md and
 * packages/plot/README.md there as ESM and through require(), installs the
 * CLI's tarball alone and trains with its `nerve` bin, and checks that one
 * copy of core is installed, that a backend required as CommonJS serves the
 * ESM copy of core in the same process, that a missing `webgpu` says how to
 * install it, and that the published .d.ts type-check with skipLibCheck off.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('pnpm check:packages passes: publint, attw, a fresh npm project (ESM and require)', () => {
  const r = spawnSync(process.execPath, ['scripts/check-packages.mjs'], {
    cwd: root,
    encoding: 'utf8',
  });
  const out = `${r.stdout}${r.stderr}`;
  // Every check prints one line; a failure shows what it printed.
  expect(out.match(/^FAIL .*$/gm) ?? [], out).toEqual([]);
  expect(out).toMatch(/check:packages: \d+ packages, all checks passed/);
  expect(r.status).toBe(0);
}, 600_000);
