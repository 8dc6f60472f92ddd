/**
 * Every library package bundles for the browser: esbuild with
 * `--platform=browser` resolves each package's entry (through the same
 * conditions a browser bundler uses) and must find no Node built-in on the
 * import path. esbuild refuses to resolve `node:` imports for that platform,
 * so a static Node import anywhere fails the build; nothing is marked external.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(join(root, 'packages')).sort();

/** Bundles `import * as m from '<name>'` for the browser; returns esbuild's errors and the text. */
async function bundleForBrowser(name: string): Promise<{ errors: string[]; text: string }> {
  try {
    const out = await build({
      stdin: {
        contents: `import * as m from '${name}'; globalThis.__nerve = m;`,
        resolveDir: root,
        loader: 'js',
      },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@nerve/source'],
      logLevel: 'silent',
    });
    return { errors: [], text: out.outputFiles.map((f) => f.text).join('\n') };
  } catch (e) {
    const errors = (e as { errors?: { text: string }[] }).errors ?? [{ text: String(e) }];
    return { errors: errors.map((x) => x.text), text: '' };
  }
}

describe('browser bundles', () => {
  it('esbuild fails on a Node built-in for the browser platform (the check can fail)', async () => {
    const out = await bundleForBrowser('node:fs');
    expect(out.errors.join('\n')).toMatch(/node:fs/);
  });

  it.each(
    packages,
  )('@nerve/%s bundles with --platform=browser and no Node built-in', async (dir) => {
    const out = await bundleForBrowser(`@nerve/${dir}`);
    expect(out.errors).toEqual([]);
    expect(out.text).not.toMatch(/(from|require\(|import\()\s*["']node:/);
    expect(out.text.length).toBeGreaterThan(0);
  });
});

/** Packages with a browser entry beside their Node entry (package.json's `browser` condition). */
const SPLIT = ['data', 'plot', 'tune'];

describe('browser entries are the Node entries minus the file-system parts', () => {
  it.each(
    SPLIT,
  )('@nerve/%s: every browser export is the same value in the Node entry', async (dir) => {
    const browser = await import(`../packages/${dir}/src/browser.ts`);
    const node = await import(`../packages/${dir}/src/index.ts`);
    const keys = Object.keys(browser);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect([k, node[k]]).toEqual([k, browser[k]]);
  });
});
