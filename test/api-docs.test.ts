/**
 * Every public export of the published entry points (each package's `.` and
 * its subpath exports such as @nerve/core/backend and @nerve/lab/node) has a
 * TSDoc comment: TypeDoc converts them as the site's API reference does
 * (apps/site/api/options.mjs) and its validation (notDocumented, invalid
 * links) must log no warning at all, so warnings count as errors. A fixture
 * package with one deliberately undocumented export shows the check fails.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { entries, validateApi } from '../apps/site/api/options.mjs';

const generated = fileURLToPath(new URL('./.generated/api-docs-fixture/', import.meta.url));

describe('API documentation (TypeDoc validation)', () => {
  it('covers every published entry point of every package', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const root = fileURLToPath(new URL('../packages/', import.meta.url));
    const published: string[] = [];
    for (const dir of readdirSync(root)) {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      if (pkg.private) continue;
      for (const sub of Object.keys(pkg.exports ?? {})) {
        if (sub.includes('*')) continue; // ./assets/*: data files, not code
        published.push(sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`);
      }
    }
    expect(entries.map(([s]) => s).sort()).toEqual(published.sort());
  });

  it('finds no undocumented export and no other warning', async () => {
    const problems = await validateApi();
    expect(problems).toEqual([]);
  }, 240_000);

  it('fails on a deliberately undocumented export (fixture package)', async () => {
    rmSync(generated, { recursive: true, force: true });
    mkdirSync(join(generated, 'src'), { recursive: true });
    writeFileSync(
      join(generated, 'package.json'),
      JSON.stringify({ name: '@nerve/api-docs-fixture', version: '0.0.0', type: 'module' }),
    );
    writeFileSync(
      join(generated, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          strict: true,
        },
        include: ['src'],
      }),
    );
    writeFileSync(
      join(generated, 'src', 'index.ts'),
      [
        '/** A documented function: returns twice `x`. */',
        'export function documented(x: number): number {',
        '  return 2 * x;',
        '}',
        'export function undocumented(x: number): number {',
        '  return x;',
        '}',
        '/** Options with one undocumented property. */',
        'export interface Options {',
        '  /** Documented. */',
        '  a: number;',
        '  b: string;',
        '}',
        '',
      ].join('\n'),
    );
    const problems = await validateApi({
      tsconfig: join(generated, 'tsconfig.json'),
      entryPoints: [join(generated, 'src', 'index.ts')],
      packagesRequiringDocumentation: ['@nerve/api-docs-fixture'],
    });
    const undocumented = problems.filter((p) => p.includes('does not have any documentation'));
    expect(undocumented).toHaveLength(2);
    expect(undocumented.join('\n')).toMatch(/undocumented/);
    expect(undocumented.join('\n')).toMatch(/Options\.b/);
    expect(problems.join('\n')).not.toMatch(/\] documented \(/);
    rmSync(generated, { recursive: true, force: true });
  }, 120_000);
});
