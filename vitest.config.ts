import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@nerve/source` export condition, so tests never need a build first.
// One test project per package (named after its folder), plus the
// integration tests in test/ and the runnable examples.
const packageProjects = ['packages', 'apps'].flatMap((dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => existsSync(`${dir}/${name}/package.json`))
        .map((name) => ({
          extends: true as const,
          test: {
            name,
            include: [`${dir}/${name}/**/*.test.ts`],
            exclude: ['**/node_modules/**'],
            // Software Vulkan compiles every new pipeline on the CPU; under a loaded
            // machine a conv test can take most of a minute.
            ...(name === 'backend-webgpu' ? { testTimeout: 240_000, hookTimeout: 120_000 } : {}),
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
