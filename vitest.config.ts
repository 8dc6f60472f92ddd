import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@nerve/source` export condition, so tests never need a build first.
export default defineConfig({
  resolve: { conditions: ['@nerve/source'] },
  ssr: { resolve: { conditions: ['@nerve/source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'core', include: ['packages/core/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'backend-cpu', include: ['packages/backend-cpu/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'examples', include: ['examples/**/*.test.ts', 'docs/**/*.test.ts'] },
      },
    ],
    testTimeout: 60_000,
  },
});
