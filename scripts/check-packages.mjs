#!/usr/bin/env node
/**
 * The packages as npm users meet them, checked offline from the lockfile:
 * builds every package (turbo, so an unchanged tree is a cache hit), packs
 * each with `pnpm pack` (which turns `workspace:` ranges into versions, as
 * publishing does), runs publint and attw (node16: ESM and CommonJS) on every
 * tarball, then installs the library tarballs into a fresh npm project (their
 * third-party dependencies from a local registry of the lockfile's copies,
 * scripts/local-registry.mjs) and runs the README example there
 * (scripts/npm-project.mjs).
 *
 * Usage: pnpm check:packages [--no-build] [--keep]
 * Exit status 0 when every check passed; the last line says how many failed.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { checkCliAlone, checkNpmProject } from './npm-project.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const failures = [];

/** Runs a command; records a failure with its output when it exits non-zero. */
function check(label, cmd, argv) {
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd: root, encoding: 'utf8' }, (err, stdout, stderr) => {
      const out = `${stdout ?? ''}${stderr ?? ''}`;
      if (!err) console.log(`ok   ${label}`);
      else {
        failures.push(label);
        console.log(`FAIL ${label}\n${out.trim().replace(/^/gm, '     ')}`);
      }
      resolve(out);
    });
  });
}

const dirs = ['packages', 'apps'].flatMap((d) =>
  readdirSync(join(root, d)).map((name) => join(root, d, name)),
);
const pkgs = dirs
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private);

/** The folder of `dep` as seen from the package in `dir` (pnpm: a sibling in its node_modules). */
function resolveFrom(dir, dep) {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', dep);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (basename(d) === 'node_modules' && existsSync(join(d, dep, 'package.json'))) {
      return realpathSync(join(d, dep));
    }
    if (dirname(d) === d) throw new Error(`check:packages: cannot find ${dep} from ${dir}`);
  }
}

/**
 * The installed folders of every non-workspace runtime dependency of `libs`,
 * transitively (optional ones included where installed), each version once.
 */
function thirdParty(libs) {
  const seen = new Set();
  const todo = libs.flatMap(({ dir, json }) =>
    Object.entries(json.dependencies ?? {})
      .filter(([, range]) => !range.startsWith('workspace:'))
      .map(([dep]) => resolveFrom(dir, dep)),
  );
  while (todo.length > 0) {
    const from = todo.pop();
    if (seen.has(from)) continue;
    seen.add(from);
    const json = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
    for (const dep of Object.keys(json.dependencies ?? {})) todo.push(resolveFrom(from, dep));
    for (const dep of Object.keys(json.optionalDependencies ?? {})) {
      try {
        todo.push(resolveFrom(from, dep));
      } catch {
        // An optional dependency that is not installed here: npm skips it too.
      }
    }
  }
  return [...seen].sort();
}

if (!args.has('--no-build')) {
  execFileSync(bin('turbo'), ['run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
}

const out = mkdtempSync(join(tmpdir(), 'nerve-pack-'));
try {
  const tarballs = new Map();
  for (const { dir, json } of pkgs) {
    const printed = execFileSync('pnpm', ['pack', '--pack-destination', out], {
      cwd: dir,
      encoding: 'utf8',
    });
    tarballs.set(json.name, printed.trim().split('\n').pop());
  }
  // publint and attw read the tarballs only: they run side by side.
  const lints = pkgs.flatMap(({ json }) => {
    const tgz = tarballs.get(json.name);
    const runs = [check(`publint ${json.name}`, bin('publint'), ['run', tgz, '--strict'])];
    // The CLI is a command, not a library: it has no exports or types for attw to check.
    if (json.exports) {
      const argv = [tgz, '--profile', 'node16', '--format', 'ascii', '--no-emoji'];
      runs.push(check(`attw ${json.name} (node16 ESM + CommonJS)`, bin('attw'), argv));
    }
    return runs;
  });
  await Promise.all(lints);
  // Third-party dependencies of the published packages, packed from the
  // lockfile's installed copies so the npm project below needs no network.
  for (const dep of ['@webgpu/types']) {
    const from = realpathSync(join(root, 'node_modules', dep));
    const printed = execFileSync('npm', ['pack', from, '--pack-destination', out, '--silent'], {
      cwd: out,
      encoding: 'utf8',
    });
    tarballs.set(dep, join(out, printed.trim().split('\n').pop()));
  }
  // The rest of the third-party tree (e.g. @nerve/plot's Observable Plot and
  // linkedom, with d3 and the rest) comes from a registry on 127.0.0.1 that
  // serves the lockfile's installed copies: npm resolves their ranges as it
  // would against the public registry, still with no network.
  const folders = join(out, 'third-party.json');
  writeFileSync(
    folders,
    JSON.stringify(thirdParty(pkgs.filter((p) => p.json.name !== '@nerve/cli'))),
  );
  const server = spawn(
    process.execPath,
    [join(root, 'scripts', 'local-registry.mjs'), folders, join(out, 'registry')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let registry;
  try {
    const line = await new Promise((resolve, reject) => {
      createInterface({ input: server.stdout }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`local registry exited with ${code}`)));
    });
    registry = line.split(' ')[1];
  } catch (e) {
    server.kill();
    throw e;
  }
  const results = (() => {
    try {
      return [...checkNpmProject({ root, tarballs, registry }), ...checkCliAlone({ tarballs })];
    } finally {
      server.kill();
    }
  })();
  for (const r of results) {
    if (r.ok) console.log(`ok   ${r.label}`);
    else {
      failures.push(r.label);
      console.log(`FAIL ${r.label}\n${r.detail.trim().replace(/^/gm, '     ')}`);
    }
  }
} finally {
  if (args.has('--keep')) console.log(`tarballs and the npm project kept in ${out}`);
  else rmSync(out, { recursive: true, force: true });
}
console.log(
  failures.length === 0
    ? `check:packages: ${pkgs.length} packages, all checks passed`
    : `check:packages: ${failures.length} failed: ${failures.join(', ')}`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
