/**
 * A fresh npm project, as a user makes one: installs the packed library
 * tarballs with npm, their third-party dependencies from a local registry
 * (scripts/local-registry.mjs; nothing from the network),
 * then checks what a user meets first. Used by scripts/check-packages.mjs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';

/** A README's first TypeScript example, as written there. */
function readmeExample(file) {
  const text = readFileSync(file, 'utf8');
  const m = text.match(/```ts\n([\s\S]*?)```/);
  if (!m) throw new Error(`${file} has no \`\`\`ts example`);
  return m[1];
}

/**
 * The example as a CommonJS script: CommonJS has no top-level await, so the
 * code after the imports runs in an async function (esbuild turns the imports
 * into require() calls).
 */
function asCommonJs(ts) {
  const lines = ts.split('\n');
  const body = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('import '));
  const wrapped = [
    ...lines.slice(0, body),
    '(async () => {',
    ...lines.slice(body),
    '})().catch((e) => { console.error(e); process.exitCode = 1; });',
  ].join('\n');
  return transformSync(wrapped, { loader: 'ts', format: 'cjs' }).code;
}

function run(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8' });
  return {
    ok: r.status === 0,
    out: `${r.stdout ?? ''}`,
    detail: `${r.stdout ?? ''}${r.stderr ?? ''}`,
  };
}

/** Every folder under node_modules that holds a copy of `name`. */
function copiesOf(dir, name) {
  const found = [];
  const walk = (nm) => {
    let entries;
    try {
      entries = readdirSync(nm, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const scoped = e.name.startsWith('@');
      const inner = scoped ? readdirSync(join(nm, e.name)).map((n) => `${e.name}/${n}`) : [e.name];
      for (const n of inner) {
        if (n === name) found.push(join(nm, n));
        walk(join(nm, n, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

/**
 * Installs `tarballs` (package name -> .tgz path; the CLI is left out) into a
 * new project in a temp folder beside them, and returns one result per check.
 * `registry`: the local registry (scripts/local-registry.mjs) that serves the
 * third-party dependencies; without one, npm installs with --offline.
 */
export function checkNpmProject({ root, tarballs, registry }) {
  const results = [];
  const add = (label, ok, detail = '') => results.push({ label, ok, detail });
  const first = [...tarballs.values()][0];
  const dir = join(first, '..', 'npm-project');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "name": "fresh", "private": true }\n');
  const libs = [...tarballs].filter(([name]) => name !== '@nerve/cli').map(([, tgz]) => tgz);
  const install = run(
    'npm',
    [
      'install',
      ...(registry ? ['--registry', registry] : ['--offline']),
      '--no-audit',
      '--no-fund',
      '--cache',
      join(dir, '.npm-cache'),
      ...libs,
    ],
    dir,
  );
  add(
    registry
      ? 'npm install of the library tarballs in a fresh project (third-party dependencies from a local registry of the lockfile copies, no network)'
      : 'npm install --offline of the library tarballs in a fresh project',
    install.ok,
    install.detail,
  );
  if (!install.ok) return results;

  const cores = copiesOf(dir, '@nerve/core');
  add('one copy of @nerve/core (a peer of every package)', cores.length === 1, cores.join('\n'));

  // The READMEs' examples (nerve's, train's: digits, fit, evaluate; plot's:
  // a text plot and an SVG through linkedom), each once as ESM and once
  // through require().
  for (const readme of ['README.md', 'packages/train/README.md', 'packages/plot/README.md']) {
    const ts = readmeExample(join(root, readme));
    const base = readme.replace(/[/.]/g, '-');
    writeFileSync(
      join(dir, `${base}.mjs`),
      transformSync(ts, { loader: 'ts', format: 'esm' }).code,
    );
    writeFileSync(join(dir, `${base}.cjs`), asCommonJs(ts));
    const esm = run('node', [`${base}.mjs`], dir);
    const cjs = run('node', [`${base}.cjs`], dir);
    const printed = esm.out.trim();
    add(
      `${readme} example runs under node as ESM`,
      esm.ok && printed.length > 0 && !/NaN/.test(printed),
      esm.detail,
    );
    add(
      `${readme} example runs under node through require() and prints the same`,
      cjs.ok && cjs.out.trim() === printed,
      `esm:\n${esm.detail}\ncjs:\n${cjs.detail}`,
    );
  }

  // ESM and CommonJS in one process are two module instances of core (the
  // dual-package hazard); they share one registry through globalThis, so a
  // backend registered through require() serves tensors made through import.
  writeFileSync(
    join(dir, 'dual.mjs'),
    [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "require('@nerve/backend-cpu');",
      "const core = await import('@nerve/core');",
      "if (core.registerBackend === require('@nerve/core').registerBackend) throw new Error('one module instance: nothing checked');",
      'const t = core.tensor([1, 2, 3]);',
      "console.log(core.listBackends().join(','), Array.from(t.dataSync()).join(','));",
    ].join('\n'),
  );
  const dual = run('node', ['dual.mjs'], dir);
  add(
    'a backend required as CommonJS is registered for the ESM copy of core in the same process',
    dual.ok && dual.out.trim() === 'cpu 1,2,3',
    dual.detail,
  );

  // webgpu is an optional peer: without it, the error says how to get it.
  writeFileSync(
    join(dir, 'no-webgpu.mjs'),
    [
      "import '@nerve/backend-webgpu';",
      "import { ready } from '@nerve/core';",
      "try { await ready('webgpu'); console.log('no error'); }",
      'catch (e) { console.log(e.message); }',
    ].join('\n'),
  );
  const gpu = run('node', ['no-webgpu.mjs'], dir);
  add(
    "without the optional 'webgpu' package, ready('webgpu') says `npm install webgpu`",
    gpu.ok && /npm install webgpu/.test(gpu.out),
    gpu.detail,
  );

  // The published declarations type-check with skipLibCheck off, from ESM and CommonJS.
  const names = [...tarballs.keys()].filter((n) => n.startsWith('@nerve/') && n !== '@nerve/cli');
  writeFileSync(
    join(dir, 'types.mts'),
    names.map((n, i) => `import * as m${i} from '${n}';\nexport { m${i} };`).join('\n'),
  );
  writeFileSync(
    join(dir, 'types.cts'),
    names.map((n, i) => `import m${i} = require('${n}');\nexport { m${i} };`).join('\n'),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022', 'dom'],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['types.mts', 'types.cts'],
    }),
  );
  const tsc = run('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], dir);
  add('published .d.ts type-check with skipLibCheck: false (ESM and CommonJS)', tsc.ok, tsc.detail);
  return results;
}

/**
 * The CLI's tarball alone in a fresh project: it must install offline (its
 * bundle needs no other package) and train the embedded digits from there.
 */
export function checkCliAlone({ tarballs }) {
  const tgz = tarballs.get('@nerve/cli');
  const dir = join(tgz, '..', 'npm-cli');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "name": "fresh-cli", "private": true }\n');
  const install = run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--cache', join(dir, '.npm-cache'), tgz],
    dir,
  );
  const results = [
    { label: '@nerve/cli tarball alone installs offline', ok: install.ok, detail: install.detail },
  ];
  if (!install.ok) return results;
  const train = run(join(dir, 'node_modules', '.bin', 'nerve'), ['train', '--epochs', '1'], dir);
  results.push({
    label: 'the installed `nerve` bin trains the embedded digits',
    ok: train.ok && /epoch 1\/1/.test(train.detail),
    detail: train.detail,
  });
  return results;
}
