/**
 * Writes a file atomically: into a temporary beside it, synced, then
 * renamed over the target, so a crash or a full disk never leaves a
 * truncated report; on failure the temporary is removed and an existing
 * file is left as it was.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NerveError } from '@nerve/core';

/** Replaces `path` with `text` (UTF-8); `flag` names the option in errors. */
export function writeTextAtomic(flag: string, path: string, text: string): void {
  writeBytesAtomic(flag, path, Buffer.from(text, 'utf8'));
}

/** Replaces `path` with `bytes`; `flag` names the option in errors. */
export function writeBytesAtomic(flag: string, path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException)?.code ?? (e as Error).message;
    throw new NerveError(`--${flag}`, 'a writable file path', `'${path}' (${code})`);
  }
}
