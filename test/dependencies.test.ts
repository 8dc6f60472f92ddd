/**
 * The dependency rules (test/dependency-rules.ts) hold for the repository:
 * every import is declared, every declared dependency is used, no arrow runs
 * the wrong way, and no package has an import cycle. The checker itself is
 * tested on small fake trees, so it is known to fail where it should.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Layers, checkDependencies, importsOf, packageOf } from './dependency-rules.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const below = (...names: string[]) => names.map((n) => `@nerve/${n}`);
/**
 * The allowed arrows of src imports: core ← backends; core ← init ← layers
 * ← norm ← models (torchvision-named networks); optim, metrics and data need only core; train and tune build on
 * the libraries; plot (figures and tables as data) needs at most core; the
 * lab's experiments use the libraries and plot; apps may use everything;
 * no library imports a backend.
 */
const LAYERS: Layers = {
  '@nerve/core': [],
  '@nerve/backend-cpu': below('core'),
  '@nerve/backend-webgpu': below('core'),
  '@nerve/init': below('core'),
  '@nerve/layers': below('core', 'init'),
  '@nerve/norm': below('core', 'init', 'layers'),
  '@nerve/models': below('core', 'init', 'layers', 'norm'),
  '@nerve/optim': below('core'),
  '@nerve/metrics': below('core'),
  '@nerve/data': below('core'),
  '@nerve/train': below('core', 'init', 'layers', 'norm', 'optim', 'metrics', 'data'),
  '@nerve/tune': below('core', 'init', 'layers', 'norm', 'optim', 'metrics', 'data', 'train'),
  '@nerve/plot': below('core'),
  '@nerve/lab': below(
    'core',
    'init',
    'layers',
    'norm',
    'optim',
    'metrics',
    'data',
    'train',
    'tune',
    'plot',
  ),
};

/**
 * Violations not fixed yet (none now). An entry that no longer occurs fails
 * the test. core's ops used to form one import cycle, because gradients
 * call other ops; they are layered now: views (with pad, slice's adjoint)
 * → sum-expand (sum, expand, sumToShape) → where → elementwise-kernels →
 * binary → unary → reduce.
 */
const KNOWN: string[] = [];

describe('the repository', () => {
  it('follows the dependency rules', () => {
    const problems = checkDependencies(root, LAYERS);
    expect(problems.filter((p) => !KNOWN.includes(p))).toEqual([]);
    expect(
      KNOWN.filter((k) => !problems.includes(k)),
      'fixed: remove from KNOWN',
    ).toEqual([]);
  });
});

const trees: string[] = [];
afterAll(() => {
  for (const t of trees) rmSync(t, { recursive: true, force: true });
});

/** A fake repository: a package.json per package, then the given files over a clean base. */
function tree(files: Record<string, string>, manifests: Record<string, object> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-deps-'));
  trees.push(dir);
  const base: Record<string, object> = {
    'packages/core': { name: '@nerve/core' },
    'packages/backend-cpu': {
      name: '@nerve/backend-cpu',
      dependencies: { '@nerve/core': '*' },
    },
    'packages/layers': {
      name: '@nerve/layers',
      dependencies: { '@nerve/core': '*' },
      devDependencies: { '@nerve/backend-cpu': '*' },
    },
    'apps/cli': { name: '@nerve/cli', dependencies: { '@nerve/layers': '*' } },
    ...manifests,
  };
  const all: Record<string, string> = {
    'package.json': JSON.stringify({ devDependencies: { vitest: '*' } }),
    'packages/core/src/index.ts': 'export const one = 1;\n',
    'packages/backend-cpu/src/index.ts':
      "import { one } from '@nerve/core';\nexport const b = one;\n",
    'packages/layers/src/index.ts': "import { one } from '@nerve/core';\nexport const l = one;\n",
    'packages/layers/test/l.test.ts':
      "import '@nerve/backend-cpu';\nimport { it } from 'vitest';\nimport { l } from '../src/index.js';\nit('l', () => l);\n",
    'apps/cli/src/main.ts': "import { l } from '@nerve/layers';\nconsole.log(l);\n",
    ...files,
  };
  for (const [path, json] of Object.entries(base)) {
    all[`${path}/package.json`] = JSON.stringify(json);
  }
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const check = (dir: string) => checkDependencies(dir, LAYERS);

describe('the dependency checker', () => {
  it('passes a tree that follows the rules', () => {
    expect(check(tree({}))).toEqual([]);
  });

  it('counts an import of a package as a use of its @types package, and only then', () => {
    const used = tree(
      { 'packages/layers/src/png.ts': "import { PNG } from 'pngjs';\nexport const p = PNG;\n" },
      {
        'packages/layers': {
          name: '@nerve/layers',
          dependencies: { '@nerve/core': '*', pngjs: '*' },
          devDependencies: { '@nerve/backend-cpu': '*', '@types/pngjs': '*' },
        },
      },
    );
    expect(check(used)).toEqual([]);
    const unused = tree(
      {},
      {
        'packages/layers': {
          name: '@nerve/layers',
          dependencies: { '@nerve/core': '*' },
          devDependencies: { '@nerve/backend-cpu': '*', '@types/pngjs': '*' },
        },
      },
    );
    expect(check(unused)).toEqual([
      'packages/layers/package.json lists @types/pngjs in devDependencies, but nothing in packages/layers imports it (unused)',
    ]);
  });

  it('names an undeclared import in src, and one in a test', () => {
    const dir = tree({
      'packages/layers/src/extra.ts': "import { x } from 'left-pad';\nexport const y = x;\n",
      'packages/core/test/c.test.ts': "import '@nerve/layers';\nimport { it } from 'vitest';\n",
    });
    expect(check(dir)).toEqual([
      "packages/core/test/c.test.ts:1 imports '@nerve/layers', which packages/core/package.json does not list in any of its dependency fields (undeclared)",
      "packages/layers/src/extra.ts:1 imports 'left-pad', which packages/layers/package.json does not list in dependencies, peerDependencies or optionalDependencies (undeclared)",
    ]);
  });

  it('names a dependency nothing imports, one only tests use, and one listed twice', () => {
    const dir = tree(
      {},
      {
        'packages/layers': {
          name: '@nerve/layers',
          dependencies: { '@nerve/core': '*', '@nerve/backend-cpu': '*', 'left-pad': '*' },
          devDependencies: { '@nerve/backend-cpu': '*' },
        },
      },
    );
    expect(check(dir)).toEqual([
      'packages/layers/package.json lists @nerve/backend-cpu in both dependencies and devDependencies',
      'packages/layers/package.json lists @nerve/backend-cpu in dependencies, but no file in packages/layers/src imports it (unused; only tests or scripts do: make it a devDependency)',
      'packages/layers/package.json lists left-pad in dependencies, but no file in packages/layers/src imports it (unused)',
    ]);
  });

  it('names a wrong-way import: up the layers, or a library importing a backend', () => {
    const dir = tree(
      {
        'packages/core/src/up.ts':
          "import type { l } from '@nerve/layers';\nexport type L = typeof l;\n",
        'packages/layers/src/cpu.ts': "import '@nerve/backend-cpu';\n",
      },
      {
        'packages/core': { name: '@nerve/core', dependencies: { '@nerve/layers': '*' } },
        'packages/layers': {
          name: '@nerve/layers',
          dependencies: { '@nerve/core': '*', '@nerve/backend-cpu': '*' },
        },
      },
    );
    expect(check(dir)).toEqual([
      "packages/core/src/up.ts:1 imports '@nerve/layers': @nerve/core may not depend on @nerve/layers (wrong way: its src may use no workspace package)",
      "packages/layers/src/cpu.ts:1 imports '@nerve/backend-cpu': @nerve/layers may not depend on @nerve/backend-cpu (wrong way: its src may use @nerve/core, @nerve/init)",
    ]);
  });

  it('names a test that imports an app', () => {
    const dir = tree(
      { 'packages/layers/test/app.test.ts': "import '@nerve/cli';\n" },
      {
        'packages/layers': {
          name: '@nerve/layers',
          dependencies: { '@nerve/core': '*' },
          devDependencies: { '@nerve/backend-cpu': '*', '@nerve/cli': '*' },
        },
      },
    );
    expect(check(dir)).toEqual([
      "packages/layers/test/app.test.ts:1 imports '@nerve/cli': a test of @nerve/layers may not import the app @nerve/cli (wrong way)",
    ]);
  });

  it('names an import cycle through a type-only import, with the lines', () => {
    const dir = tree({
      'packages/layers/src/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
      'packages/layers/src/b.ts':
        "\nimport type { C } from './c.js';\nexport type B = { c?: C };\n",
      'packages/layers/src/c.ts': "import type { A } from './a.js';\nexport type C = { a?: A };\n",
    });
    expect(check(dir)).toEqual([
      '@nerve/layers has an import cycle (type-only imports count): packages/layers/src/a.ts (line 1) → packages/layers/src/b.ts (line 2) → packages/layers/src/c.ts (line 1) → packages/layers/src/a.ts',
    ]);
  });

  it("accepts an app's src imports from devDependencies (its bundle carries them), not a library's", () => {
    const dev = { devDependencies: { '@nerve/layers': '*' } };
    expect(check(tree({}, { 'apps/cli': { name: '@nerve/cli', ...dev } }))).toEqual([]);
    expect(
      check(
        tree(
          { 'packages/backend-cpu/src/l.ts': "import '@nerve/layers';\n" },
          {
            'packages/backend-cpu': {
              name: '@nerve/backend-cpu',
              dependencies: { '@nerve/core': '*' },
              ...dev,
            },
          },
        ),
      ),
    ).toEqual([
      "packages/backend-cpu/src/l.ts:1 imports '@nerve/layers', which packages/backend-cpu/package.json does not list in dependencies, peerDependencies or optionalDependencies (undeclared)",
      "packages/backend-cpu/src/l.ts:1 imports '@nerve/layers': @nerve/backend-cpu may not depend on @nerve/layers (wrong way: its src may use @nerve/core)",
    ]);
  });

  it('counts tsconfig "types" as a use by src, and lets an optional peer go unimported', () => {
    const dir = tree(
      {
        'packages/backend-cpu/tsconfig.json':
          '{ "compilerOptions": { "types": ["node", "@gpu/types"] } }',
      },
      {
        'packages/backend-cpu': {
          name: '@nerve/backend-cpu',
          dependencies: { '@nerve/core': '*', '@gpu/types': '*' },
          peerDependencies: { dawn: '*', other: '*' },
          peerDependenciesMeta: { dawn: { optional: true } },
        },
      },
    );
    expect(check(dir)).toEqual([
      'packages/backend-cpu/package.json lists other in peerDependencies, but no file in packages/backend-cpu/src imports it (unused)',
    ]);
  });

  it("names a relative import into another package's folder", () => {
    const dir = tree({
      'packages/layers/src/sneak.ts': "export { one } from '../../core/src/index.js';\n",
    });
    expect(check(dir)).toEqual([
      "packages/layers/src/sneak.ts:1 imports '../../core/src/index.js': a relative import into another package's folder; import that package by name",
    ]);
  });
});

describe('importsOf', () => {
  it('finds static, type-only, multi-line, re-exported and dynamic imports, not commented ones', () => {
    const code = [
      "import a from 'a';",
      '// import nope from "commented";',
      '/* import nope2 from "block"; */',
      'import {',
      '  type B,',
      '  c,',
      "} from '@s/b/deep';",
      "import type { D } from './d.js';",
      "export * from 'e';",
      "export { f } from 'f';",
      "import 'side-effect';",
      "const g = await import('g');",
      "const h = import.meta.resolve('h');",
      'const s = \'import x from "in-a-string"\';',
    ].join('\n');
    expect(importsOf(code)).toEqual([
      { spec: 'a', line: 1 },
      { spec: '@s/b/deep', line: 7 },
      { spec: './d.js', line: 8 },
      { spec: 'e', line: 9 },
      { spec: 'f', line: 10 },
      { spec: 'side-effect', line: 11 },
      { spec: 'g', line: 12 },
      { spec: 'h', line: 13 },
    ]);
  });

  it('maps specifiers to packages, leaving out relative paths and Node built-ins', () => {
    expect(
      ['@s/b/deep', 'tsx/esm/api', './x.js', 'node:fs', 'fs', 'worker_threads'].map(packageOf),
    ).toEqual(['@s/b', 'tsx', null, null, null, null]);
  });
});
