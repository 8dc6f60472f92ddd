import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Paths are taken from this file's folder, not the working directory, so a
// package's own `pnpm test` (which runs vitest with `--root ../..`) finds
// the same projects as the root runner.
const root = fileURLToPath(new URL('.', import.meta.url));

// Workspace packages resolve to their TypeScript sources through the
// `@nerve/source` export condition, so tests never need a build first.
// One test project per package (named after its folder), plus the
// integration tests in test/ and the runnable examples.
const packageProjects = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir))
        .filter((name) => existsSync(join(root, dir, name, 'package.json')))
        .map((name) => ({
          extends: true as const,
          test: {
            name,
            include: [`${dir}/${name}/**/*.test.ts`],
            exclude: ['**/node_modules/**'],
            // Software Vulkan compiles every new pipeline on the CPU; under a loaded
            // machine a conv test can take most of a minute.
            ...(name === 'backend-webgpu' ? { testTimeout: 240_000, hookTimeout: 120_000 } : {}),
            // The site's browser tests share one build (made once by the global
            // setup) and run one file at a time: each drives its own Chromium.
            ...(name === 'site'
              ? {
                  globalSetup: [`${dir}/${name}/test/global-setup.ts`],
                  fileParallelism: false,
                  hookTimeout: 180_000,
                }
              : {}),
          },
        }))
    : [],
);

export default defineConfig({
  resolve: { conditions: ['@nerve/source'] },
  ssr: { resolve: { conditions: ['@nerve/source'] } },
  test: {
    projects: [
      ...packageProjects,
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'examples', include: ['examples/**/*.test.ts', 'docs/**/*.test.ts'] },
      },
    ],
    testTimeout: 60_000,
  },
});
