/**
 * Writes an HTML report atomically: into a hidden temporary beside the
 * target (named as @nerve/layers names its temporaries, so its cleanup
 * recognises a stale one), synced, then renamed over the target. A crash or
 * an error leaves the old file, or none, never half a page. Commands import
 * this module only when --report is given: the plotting stack (Observable
 * Plot, d3, linkedom) then costs the other runs nothing at startup.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NerveError } from '@nerve/core';
import { type Report, htmlReport } from '@nerve/plot';

/** Writes `text` to `path` through a temporary and a rename; errors name the flag and the path. */
export function writeFileAtomic(flag: string, path: string, text: string): void {
  const rand = Math.floor(Math.random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
  const tmp = join(dirname(path), `.${basename(path)}.nerve-tmp-${process.pid}-${rand}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    const bytes = Buffer.from(text, 'utf8');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw NerveError.raw(`--${flag}`, `cannot write '${path}' (${code})`);
  }
}

/** Renders `report` as one self-contained HTML page and writes it atomically to `path`. */
export function writeReport(flag: string, path: string, report: Report, footer?: string): void {
  writeFileAtomic(flag, path, htmlReport(report, footer === undefined ? {} : { footer }));
}
