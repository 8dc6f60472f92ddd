/**
 * Reads are bounded by what the file's header declares and by its real
 * size: gzip bombs, sparse files, files past 2 GiB, directories, devices and
 * FIFOs are refused with a NerveError, and (measured in a fresh process)
 * without holding more than a few MiB while doing so.
 */
import '@nerve/backend-cpu';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NerveError } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsv, loadIdx } from '../src/index.js';
import { loadInChild } from './child.js';
import { idxBytes } from './idx-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 2 ** 20;
/** The memory a refused load may cost: the bound the issue sets for small inputs. */
const SMALL_PEAK = 64 * MiB;

function idxHeader(dims: number[]): Uint8Array {
  return idxBytes(dims);
}

/**
 * A gzip bomb: one gzip member with `head`, then `members` copies of a
 * member holding 16 MiB of zeros (about 16 KiB each; gunzip joins members).
 */
let zeros: Uint8Array | undefined;
function bomb(head: Uint8Array, members: number): Uint8Array {
  zeros ??= gzipSync(new Uint8Array(16 * MiB), { level: 9 });
  return Buffer.concat([gzipSync(head), ...new Array<Uint8Array>(members).fill(zeros)]);
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** A sparse file: `head`, then zeros (never written) up to `size` bytes. */
function sparse(name: string, head: Uint8Array, size: number): string {
  const p = write(name, head);
  truncateSync(p, size);
  return p;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('IDX reads are bounded by the header', () => {
  it('a 1 MB gzip bomb (1 GiB of zeros) declaring 100 bytes is refused after inflating ~100 bytes', () => {
    const p = write('bomb.idx.gz', bomb(idxHeader([100]), 64));
    const r = loadInChild('idx', p);
    expect(r.ok).toBe(false);
    expect(r.nerveError).toBe(true);
    expect(r.message).toMatch(/trailing bytes: the header declares shape \[100\] = 100 bytes/);
    expect(r.peakBytes).toBeLessThan(SMALL_PEAK);
  });

  it('a declared size no gzip of this length can hold is refused before inflating', () => {
    const p = write('claims.idx.gz', bomb(idxHeader([60000, 28, 28]), 1));
    const e = thrown(() => loadIdx(p));
    expect(e).toBeInstanceOf(NerveError);
    expect(e.message).toMatch(/truncated: .* = 47040000 bytes of data, but \d+ gzip bytes inflate/);
  });

  it('a sparse 1.5 GB plain file declaring 16 bytes is refused from its size, unread', () => {
    const p = sparse('sparse.idx', idxHeader([4, 4]), 1_500_000_000);
    const r = loadInChild('idx', p);
    expect(r.nerveError).toBe(true);
    expect(r.message).toMatch(/trailing bytes: .* = 16 bytes of data, the file has 1499999988/);
    expect(r.peakBytes).toBeLessThan(SMALL_PEAK);
  });

  it('a file declaring more than 2 GiB is a NerveError naming the limit, plain or gzipped', () => {
    const head = idxHeader([2 ** 31]);
    const plain = sparse('big.idx', head, 2 ** 31 + head.length);
    const gz = write('big.idx.gz', gzipSync(head));
    for (const p of [plain, gz]) {
      const e = thrown(() => loadIdx(p));
      expect(e).toBeInstanceOf(NerveError);
      expect(e.message).toMatch(/= 2147483648 bytes of data, more than the 2147483647 bytes/);
    }
  });

  it('a data-sized truncated gzip stream is refused as corrupt', () => {
    const whole = gzipSync(Buffer.concat([idxHeader([64, 64]), new Uint8Array(4096).fill(3)]));
    const p = write('cut.idx.gz', whole.subarray(0, whole.length - 10));
    expect(thrown(() => loadIdx(p)).message).toMatch(/starts like gzip but does not decompress/);
  });
});

describe('only regular files are read', () => {
  it('a directory is refused by name', () => {
    const e = thrown(() => loadIdx(dir));
    expect(e).toBeInstanceOf(NerveError);
    expect(e.message).toMatch(/is a directory, not a data file/);
  });

  // In a child with a timeout: reading /dev/zero or opening a FIFO without
  // a writer would otherwise hang (or fill memory) instead of failing.
  it.runIf(process.platform === 'linux')('a character device is refused by name', () => {
    const r = loadInChild('idx', '/dev/zero', undefined, 20_000);
    expect(r.message).toBe('loadIdx: /dev/zero is a character device, not a data file');
    expect(r.peakBytes).toBeLessThan(SMALL_PEAK);
    const c = loadInChild('csv', '/dev/zero', undefined, 20_000);
    expect(c.message).toMatch(/is a character device/);
  });

  it.runIf(process.platform !== 'win32')('a FIFO is refused by name without blocking', () => {
    const p = join(dir, 'fifo');
    execFileSync('mkfifo', [p]);
    const r = loadInChild('csv', p, undefined, 20_000);
    expect(r.nerveError).toBe(true);
    expect(r.message).toMatch(/fifo is a FIFO \(named pipe\), not a data file/);
  });
});

describe('CSV reads are bounded by maxBytes', () => {
  it('a plain file above maxBytes is refused from its size', () => {
    const p = write('big.csv', '1,2,0\n'.repeat(1000));
    const e = thrown(() => loadCsv(p, { maxBytes: 5000 }));
    expect(e).toBeInstanceOf(NerveError);
    expect(e.message).toMatch(/big\.csv is 6000 bytes, more than the 5000 bytes this loader reads/);
    const ok = loadCsv(p, { maxBytes: 6000 });
    expect(ok.x.shape).toEqual([1000, 2]);
    ok.x.dispose();
    ok.y.dispose();
  });

  it('a gzip bomb is refused at maxBytes, holding no more than that', () => {
    const p = write('bomb.csv.gz', bomb(new TextEncoder().encode('1,2,0\n'), 64));
    const small = loadInChild('csv', p, { maxBytes: 4 * MiB });
    expect(small.nerveError).toBe(true);
    expect(small.message).toMatch(/decompresses to more than the 4194304 bytes this loader reads/);
    expect(small.peakBytes).toBeLessThan(SMALL_PEAK);
    const byDefault = loadInChild('csv', p);
    expect(byDefault.message).toMatch(/more than the 268435456 bytes/);
    expect(byDefault.peakBytes).toBeLessThan(256 * MiB + SMALL_PEAK);
  });

  it('rejects a maxBytes it cannot honour', () => {
    for (const maxBytes of [0, -1, 1.5, 2 ** 29]) {
      expect(() => loadCsv(join(dir, 'big.csv'), { maxBytes })).toThrow(/maxBytes an integer in/);
    }
  });
});
