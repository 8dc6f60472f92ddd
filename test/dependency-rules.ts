/**
 * The repository's dependency rules as a checker that reads a tree from disk:
 * every workspace package's package.json (packages/*, apps/*) and every
 * import in its src/ and test/ files. test/dependencies.test.ts runs it on
 * the repository and on small fake trees (so it is known to fail).
 *
 * Rules, each violation one message naming the file, the import and the rule:
 * - declared: a src import is in dependencies or peerDependencies (an app's
 *   may also be a devDependency: its bundle carries it); a test import also
 *   may be in devDependencies (or, for npm tooling such as vitest, in the
 *   root package.json's devDependencies);
 * - used: every declared dependency is imported somewhere (dependencies by
 *   src or named in tsconfig "types", which src compiles against;
 *   devDependencies by anything the package holds: tests, scripts), except
 *   optional peers (peerDependenciesMeta), which are loaded at run time by a
 *   computed name so that bundlers leave them out; and none is listed twice
 *   (dependencies with devDependencies or peerDependencies);
 * - downward: a src file imports only workspace packages its package may use
 *   (`layers` below); tests may use any library package, never an app;
 * - acyclic: no import cycle between the files of one package, type-only
 *   imports included.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** For each workspace package, the workspace packages its src may import. */
export type Layers = Record<string, readonly string[]>;

/** A workspace package as read from disk. */
interface Pkg {
  name: string;
  /** Folder relative to the root, e.g. 'packages/core'. */
  dir: string;
  isApp: boolean;
  deps: Set<string>;
  devDeps: Set<string>;
  peerDeps: Set<string>;
  optionalDeps: Set<string>;
  /** Peers marked optional in peerDependenciesMeta. */
  optionalPeers: Set<string>;
  /** Files under src/ and test/, relative to the root. */
  files: string[];
  /** Other files the package holds (scripts, bench, fixtures...): count as uses of devDependencies. */
  otherFiles: string[];
  tsconfigTypes: string[];
}

/** One import of a file: the specifier and its 1-based line. */
export interface ImportRef {
  spec: string;
  line: number;
}

// .vue: the site's components import packages in their <script> blocks.
const SOURCE = /\.(?:ts|tsx|mts|cts|js|mjs|cjs|vue)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo']);

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Blanks out comments, keeping line breaks so line numbers stay right. */
function stripComments(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(
      /(^|[^:'"`\\])\/\/[^\n]*/g,
      (m, pre: string) => pre + ' '.repeat(m.length - pre.length),
    );
}

/**
 * The module specifiers a file imports: static imports and re-exports (type-
 * only ones too) at the start of a line, `import('x')` and
 * `import.meta.resolve('x')` with a literal argument.
 */
export function importsOf(code: string): ImportRef[] {
  const text = stripComments(code);
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const out: ImportRef[] = [];
  const patterns = [
    /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s*)?['"]([^'"\n]+)['"]/gm,
    /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
    /\bimport\.meta\.resolve\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      out.push({ spec: m[1], line: lineAt((m.index ?? 0) + m[0].indexOf(m[1])) });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

/** The package a bare specifier names ('@a/b/c' → '@a/b'), or null for relative paths and Node built-ins. */
export function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:')) return null;
  if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function keys(o: unknown): Set<string> {
  return new Set(o && typeof o === 'object' ? Object.keys(o) : []);
}

function readPackages(root: string): Pkg[] {
  const pkgs: Pkg[] = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const json = readJson(join(dir, 'package.json'));
      const files = [...walk(join(dir, 'src')), ...walk(join(dir, 'test'))];
      const inner = new Set(files);
      const otherFiles = walk(dir).filter((f) => !inner.has(f));
      let tsconfigTypes: string[] = [];
      if (existsSync(join(dir, 'tsconfig.json'))) {
        const ts = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
        tsconfigTypes = [...ts.matchAll(/"types"\s*:\s*\[([^\]]*)\]/g)].flatMap((m) =>
          [...m[1].matchAll(/"([^"]+)"/g)].map((t) => t[1]),
        );
      }
      pkgs.push({
        name: String(json.name),
        dir: relative(root, dir),
        isApp: group === 'apps',
        deps: keys(json.dependencies),
        devDeps: keys(json.devDependencies),
        peerDeps: keys(json.peerDependencies),
        optionalDeps: keys(json.optionalDependencies),
        optionalPeers: new Set(
          Object.entries(
            (json.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>,
          )
            .filter(([, meta]) => meta?.optional === true)
            .map(([name]) => name),
        ),
        files: files.map((f) => relative(root, f)),
        otherFiles: otherFiles.map((f) => relative(root, f)),
        tsconfigTypes,
      });
    }
  }
  return pkgs;
}

/** The file a relative import names: TypeScript's `.js` → `.ts` mapping, or a folder's index. */
function resolveRelative(root: string, from: string, spec: string): string | null {
  const base = join(dirname(join(root, from)), spec);
  const stem = base.replace(/\.(?:js|mjs|cjs|ts|mts)$/, '');
  const candidates = [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.mts`,
    `${stem}.js`,
    `${stem}.mjs`,
    join(base, 'index.ts'),
    join(base, 'index.js'),
  ];
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile()) return relative(root, c);
  }
  return null;
}

/** Import cycles among `files` (each listed once, from its smallest file), as readable chains. */
function findCycles(edges: Map<string, { to: string; line: number }[]>): string[] {
  // Tarjan's strongly connected components; each component with a cycle is reported once.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const comps: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of edges.get(v) ?? []) {
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (edges.get(v) ?? []).some((e) => e.to === v);
      if (comp.length > 1 || selfLoop) comps.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return comps.map((comp) => {
    // A shortest chain from the component's first file back to itself, for the message.
    const inComp = new Set(comp);
    const start = comp[0];
    const prev = new Map<string, { from: string; line: number }>();
    const queue = [start];
    let end: { from: string; line: number } | null = null;
    while (queue.length > 0 && !end) {
      const v = queue.shift()!;
      for (const e of edges.get(v) ?? []) {
        if (!inComp.has(e.to)) continue;
        if (e.to === start) {
          end = { from: v, line: e.line };
          break;
        }
        if (!prev.has(e.to)) {
          prev.set(e.to, { from: v, line: e.line });
          queue.push(e.to);
        }
      }
    }
    const chain: string[] = [`${start}`];
    const back: string[] = [];
    let at = end!.from;
    back.push(`(line ${end!.line}) → ${start}`);
    while (at !== start) {
      const p = prev.get(at)!;
      back.push(`(line ${p.line}) → ${at}`);
      at = p.from;
    }
    chain.push(...back.reverse());
    return chain.join(' ');
  });
}

/** Every violation of the rules in the tree at `root`, as messages (empty: all rules hold). */
export function checkDependencies(root: string, layers: Layers): string[] {
  const problems: string[] = [];
  const pkgs = readPackages(root);
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const rootJson = existsSync(join(root, 'package.json'))
    ? readJson(join(root, 'package.json'))
    : {};
  const rootTools = keys(rootJson.devDependencies);

  for (const pkg of pkgs) {
    const manifest = `${pkg.dir}/package.json`;
    const usedBySrc = new Set<string>(pkg.tsconfigTypes);
    const usedByAny = new Set<string>(pkg.tsconfigTypes);
    const edges = new Map<string, { to: string; line: number }[]>();
    for (const file of pkg.otherFiles) {
      for (const { spec } of importsOf(readFileSync(join(root, file), 'utf8'))) {
        const dep = packageOf(spec);
        if (dep) usedByAny.add(dep);
      }
    }
    for (const file of pkg.files) {
      const isSrc = file.startsWith(`${pkg.dir}/src/`);
      edges.set(file, []);
      for (const { spec, line } of importsOf(readFileSync(join(root, file), 'utf8'))) {
        const where = `${file}:${line} imports '${spec}'`;
        const dep = packageOf(spec);
        if (dep === null) {
          if (spec.startsWith('.')) {
            const target = resolveRelative(root, file, spec);
            if (target === null) problems.push(`${where}: no such file`);
            else if (pkgs.some((o) => o !== pkg && target.startsWith(`${o.dir}/`)))
              problems.push(
                `${where}: a relative import into another package's folder; import that package by name`,
              );
            else if (pkg.files.includes(target)) edges.get(file)!.push({ to: target, line });
          }
          continue;
        }
        if (dep === pkg.name) continue;
        usedByAny.add(dep);
        // Importing a package uses its DefinitelyTyped types too (@types/x, @types/scope__x).
        const types = `@types/${dep.replace(/^@([^/]+)\//, '$1__')}`;
        usedByAny.add(types);
        if (isSrc) {
          usedBySrc.add(dep);
          usedBySrc.add(types);
        }
        const workspace = byName.get(dep);
        if (isSrc) {
          const bundled = pkg.isApp && pkg.devDeps.has(dep);
          if (
            !pkg.deps.has(dep) &&
            !pkg.peerDeps.has(dep) &&
            !pkg.optionalDeps.has(dep) &&
            !bundled
          ) {
            problems.push(
              `${where}, which ${manifest} does not list in dependencies, peerDependencies or optionalDependencies (undeclared)`,
            );
          }
          if (workspace && !pkg.isApp && !(layers[pkg.name] ?? []).includes(dep)) {
            problems.push(
              `${where}: ${pkg.name} may not depend on ${dep} (wrong way: its src may use ${(layers[pkg.name] ?? []).join(', ') || 'no workspace package'})`,
            );
          }
        } else {
          const declared =
            pkg.deps.has(dep) ||
            pkg.devDeps.has(dep) ||
            pkg.peerDeps.has(dep) ||
            pkg.optionalDeps.has(dep);
          if (!declared && (workspace || !rootTools.has(dep))) {
            problems.push(
              `${where}, which ${manifest} does not list in any of its dependency fields (undeclared)`,
            );
          }
          if (workspace?.isApp) {
            problems.push(
              `${where}: a test of ${pkg.name} may not import the app ${dep} (wrong way)`,
            );
          }
        }
      }
    }
    for (const dep of pkg.deps) {
      if (pkg.devDeps.has(dep))
        problems.push(`${manifest} lists ${dep} in both dependencies and devDependencies`);
      if (pkg.peerDeps.has(dep))
        problems.push(`${manifest} lists ${dep} in both dependencies and peerDependencies`);
    }
    for (const dep of pkg.optionalDeps) {
      if (!usedByAny.has(dep))
        problems.push(
          `${manifest} lists ${dep} in optionalDependencies, but nothing in ${pkg.dir} imports it (unused)`,
        );
    }
    for (const dep of [...pkg.deps, ...pkg.peerDeps]) {
      if (pkg.optionalPeers.has(dep)) continue;
      if (!usedBySrc.has(dep) && !(pkg.isApp && usedByAny.has(dep))) {
        problems.push(
          `${manifest} lists ${dep} in ${pkg.deps.has(dep) ? 'dependencies' : 'peerDependencies'}, but no file in ${pkg.dir}/src imports it (unused${usedByAny.has(dep) ? '; only tests or scripts do: make it a devDependency' : ''})`,
        );
      }
    }
    for (const dep of pkg.devDeps) {
      if (!usedByAny.has(dep) && !pkg.peerDeps.has(dep)) {
        problems.push(
          `${manifest} lists ${dep} in devDependencies, but nothing in ${pkg.dir} imports it (unused)`,
        );
      }
    }
    for (const cycle of findCycles(edges)) {
      problems.push(`${pkg.name} has an import cycle (type-only imports count): ${cycle}`);
    }
  }
  return problems;
}
