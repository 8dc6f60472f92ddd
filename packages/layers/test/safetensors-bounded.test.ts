/**
 * loadSafetensors reads the header first, with a bound, checks the declared
 * sizes against the file's size, then reads exactly what is declared; files
 * that are not regular files are refused by name before anything is read.
 */
import '@nerve/backend-cpu';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError, memory, tensor } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse file of `size` bytes that starts with a safetensors header (the rest is a hole). */
function sparse(name: string, header: unknown, size: number): string {
  const path = join(dir, name);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8 + json.length);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(prefix, 8);
  const fd = openSync(path, 'w');
  writeSync(fd, prefix);
  closeSync(fd);
  truncateSync(path, size);
  return path;
}

/** Rejects with a NerveError matching `pattern`, growing the peak RSS by less than `mb`. */
async function refusedCheaply(path: string, pattern: RegExp, mb = 100): Promise<void> {
  const before = process.resourceUsage().maxRSS;
  const tensors = memory().numTensors;
  const err = await loadSafetensors(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NerveError);
  expect((err as Error).message).toMatch(pattern);
  expect(memory().numTensors).toBe(tensors);
  expect(process.resourceUsage().maxRSS - before).toBeLessThan(mb * 1024);
}

describe('loadSafetensors: bounded reads', () => {
  it('refuses /dev/zero, a directory and a FIFO by name, without reading them', async () => {
    await refusedCheaply(
      '/dev/zero',
      /a regular safetensors file at '\/dev\/zero'.*a character device/,
    );
    await refusedCheaply(dir, /received a directory/);
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for reading blocks until a writer comes: it must be refused first.
    await refusedCheaply(fifo, /FIFO/);
    await expect(readSafetensorsHeader('/dev/zero')).rejects.toThrow(/character device/);
  });

  it('refuses a 1.5 GB sparse file by its header, without reading its data', async () => {
    // The header declares 16 bytes of data; the file holds 1.5 GB after it.
    const path = sparse(
      'sparse.safetensors',
      { t: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
      1.5e9,
    );
    await refusedCheaply(path, /belong to no tensor.*file '.*sparse\.safetensors'/);
    // A sparse file of zeros declares a header length of 0.
    const zeros = join(dir, 'zeros.safetensors');
    closeSync(openSync(zeros, 'w'));
    truncateSync(zeros, 1.5e9);
    await refusedCheaply(zeros, /header length of at least 2 bytes .*, received 0/);
  });

  it('files over 2 GiB give a NerveError, not a RangeError', async () => {
    const mismatch = sparse(
      'big.safetensors',
      { t: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } },
      2 ** 31 + 4096,
    );
    await refusedCheaply(mismatch, /belong to no tensor/);
    // A header that covers a 5 GiB file with one tensor: more than one array holds.
    const n = 5 * 2 ** 30;
    const header = { t: { dtype: 'U8', shape: [n], data_offsets: [0, n] } };
    const json = JSON.stringify(header);
    const whole = sparse('huge.safetensors', header, 8 + json.length + n);
    await refusedCheaply(whole, /tensor 't' to fit one array.*received 5368709120 bytes/);
  });

  it('a header length beyond the file is refused before the header is allocated', async () => {
    const path = join(dir, 'liar.safetensors');
    const fd = openSync(path, 'w');
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(99_000_000n, 0);
    writeSync(fd, b);
    closeSync(fd);
    await refusedCheaply(path, /header length is 99000000 bytes but only 8 bytes follow/, 50);
  });

  it('reads the header alone, and a valid file whole', async () => {
    const t = tensor([1, 2, 3], { shape: [3] });
    const path = join(dir, 'ok.safetensors');
    await saveSafetensors(path, { t }, { note: 'x' });
    const h = await readSafetensorsHeader(path);
    expect(h.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([['t', 'F32', [3]]]);
    expect(h.metadata).toEqual({ note: 'x' });
    const { tensors } = await loadSafetensors(path);
    expect([...tensors.t.dataSync()]).toEqual([1, 2, 3]);
    tensors.t.dispose();
    t.dispose();
  });

  it('names a missing file as a NerveError', async () => {
    await expect(loadSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(
      /loadSafetensors: cannot read '.*nope\.safetensors' does not exist \(ENOENT\)/,
    );
  });
});
