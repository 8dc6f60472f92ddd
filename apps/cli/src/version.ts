/**
 * The @nerve/cli version. The bundle script defines NERVE_CLI_VERSION
 * (esbuild `define`), since the one-file bundle has no package.json beside
 * it; in the workspace the package.json is read.
 */
import { readFileSync } from 'node:fs';

declare const NERVE_CLI_VERSION: string | undefined;

/** The version `nerve --version` prints. */
export function cliVersion(): string {
  if (typeof NERVE_CLI_VERSION === 'string') return NERVE_CLI_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}
