/**
 * readMetadata (behind loadPretrained and nerve finetune) reads the header
 * alone with bounds, and refuses a FIFO or a device instead of blocking on it.
 */
import '@nerve/backend-cpu';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetadata } from '../src/transfer-io.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-read-metadata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readMetadata', () => {
  it('refuses a FIFO and /dev/zero by name', async () => {
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for reading would wait for a writer forever.
    const e = await readMetadata(fifo).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NerveError);
    expect((e as Error).message).toMatch(/FIFO/);
    await expect(readMetadata('/dev/zero')).rejects.toThrow(/character device/);
  });
});
