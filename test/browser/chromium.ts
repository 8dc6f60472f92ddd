/**
 * Launching Debian's chromium (never a downloaded browser) headless through
 * playwright-core, with WebGPU on. Where the machine has no GPU, chromium's
 * WebGPU (Dawn) offers only its SwiftShader (software Vulkan) adapter, a
 * "fallback adapter" that it hands out only with --enable-unsafe-webgpu;
 * without the flag requestAdapter() returns null. The other flags keep the
 * browser off the network and quiet.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium package. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is installed here. */
export const haveChromium = existsSync(CHROMIUM);

/** The flags, each for a reason given in docs/browser.md. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-dev-shm-usage',
];

/** A headless browser with a fresh profile; `close` also removes the profile. */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'nerve-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    throw e;
  }
  return {
    context,
    close: async () => {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
      }
    },
  };
}
