/**
 * The TypeDoc options shared by the site's API reference (api/build.mjs) and
 * the documentation check (test/api-docs.test.ts at the repository root):
 * one entry point per published entry of every package, read from the
 * TypeScript sources through api/tsconfig.json.
 */
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The published entry points: [import specifier, source file relative to the repo]. */
export const entries = [
  ['@nerve/core', 'packages/core/src/index.ts'],
  ['@nerve/core/backend', 'packages/core/src/backend-api.ts'],
  ['@nerve/core/base', 'packages/core/src/base.ts'],
  ['@nerve/core/testing', 'packages/core/src/testing/index.ts'],
  ['@nerve/backend-cpu', 'packages/backend-cpu/src/index.ts'],
  ['@nerve/backend-webgpu', 'packages/backend-webgpu/src/index.ts'],
  ['@nerve/data', 'packages/data/src/index.ts'],
  ['@nerve/init', 'packages/init/src/index.ts'],
  ['@nerve/layers', 'packages/layers/src/index.ts'],
  ['@nerve/norm', 'packages/norm/src/index.ts'],
  ['@nerve/models', 'packages/models/src/index.ts'],
  ['@nerve/optim', 'packages/optim/src/index.ts'],
  ['@nerve/metrics', 'packages/metrics/src/index.ts'],
  ['@nerve/train', 'packages/train/src/index.ts'],
  ['@nerve/tune', 'packages/tune/src/index.ts'],
  ['@nerve/onnx', 'packages/onnx/src/index.ts'],
  ['@nerve/plot', 'packages/plot/src/index.ts'],
  ['@nerve/lab', 'packages/lab/src/index.ts'],
  ['@nerve/lab/node', 'packages/lab/src/node.ts'],
];

/** The packages whose exports must carry a comment (TypeDoc matches symbols by package name). */
export const packages = [...new Set(entries.map(([s]) => s.split('/').slice(0, 2).join('/')))];

/** TypeDoc options without output settings; `extra` overrides. */
export function typedocOptions(extra = {}) {
  return {
    tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)),
    entryPoints: entries.map(([, f]) => repo + f),
    entryPointStrategy: 'resolve',
    // The packages typecheck on their own (`tsc --noEmit` per package); TypeDoc only reads them.
    skipErrorChecking: true,
    readme: 'none',
    excludePrivate: true,
    excludeInternal: true,
    sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
    validation: { notExported: false, invalidLink: true, notDocumented: true },
    packagesRequiringDocumentation: packages,
    ...extra,
  };
}

/**
 * Converts the given entry points with TypeDoc and runs its validation
 * (notDocumented and invalid links), without writing pages. Returns every
 * warning and error TypeDoc logged, as text. Loaded from here so that callers
 * outside apps/site (the root tests) resolve the site's pinned TypeDoc.
 */
export async function validateApi(extra = {}) {
  const { Application, LogLevel } = await import('typedoc');
  const app = await Application.bootstrapWithPlugins(
    typedocOptions({ logLevel: 'Warn', ...extra }),
  );
  const problems = [];
  app.logger.log = (message, level) => {
    // TypeDoc colours its messages with ANSI escapes (ESC [ … m).
    const plain = message.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    if (level >= LogLevel.Warn) problems.push(`${LogLevel[level]}: ${plain}`);
  };
  const project = await app.convert();
  if (!project) return [...problems, 'Error: TypeDoc could not convert the entry points'];
  app.validate(project);
  return problems;
}
