/**
 * Atomic file writes: into a hidden temporary beside the target, fsync,
 * rename over the target, fsync the directory. Errors name the user's path,
 * never the temporary. Temporaries that a killed process left behind are
 * removed at the next write into the same directory, recognised by their
 * name `.<target>.nerve-tmp-<pid>-<8 random base-36 chars>` and only when
 * stale: their process is gone, or (the pid was reused) they have not been
 * touched for an hour.
 */
import type { FileHandle } from 'node:fs/promises';
import { NerveError } from '@nerve/core';
import { nodeFs } from './safetensors-file.js';

const TEMP_PATTERN = /^\..+\.nerve-tmp-(\d+)-[0-9a-z]{8}$/;
/** A live writer touches its temporary continuously; an hour of silence means it is orphaned. */
const STALE_AFTER_MS = 60 * 60 * 1000;

/** The temporary name for `base` in this process (hidden, and ours by pattern). */
export function temporaryName(base: string): string {
  const rand = Math.floor(Math.random() * 36 ** 8)
    .toString(36)
    .padStart(8, '0');
  return `.${base}.nerve-tmp-${process.pid}-${rand}`;
}

/** Whether process `pid` exists (EPERM: it exists but belongs to another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the stale temporaries in `dir` that match nerve's pattern and
 * returns their names. Best effort: a file that cannot be inspected or
 * removed is left alone.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const [fs, nodePath] = await nodeFs();
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (!m) continue;
    const full = nodePath.join(dir, name);
    const pid = Number(m[1]);
    try {
      const st = await fs.lstat(full);
      if (!st.isFile()) continue;
      if (alive(pid) && Date.now() - st.mtimeMs <= STALE_AFTER_MS) continue;
      await fs.unlink(full);
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

const WRITE_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  EMFILE: 'too many open files',
};

/** A file error during a write, in words that name `path` (never the temporary). */
function writeError(op: string, e: unknown, path: string, dir: string): NerveError {
  if (e instanceof NerveError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const reason =
    code === 'ENOENT'
      ? `its directory '${dir}' does not exist`
      : ((code && WRITE_REASONS[code]) ?? 'the write failed');
  return NerveError.raw(op, `cannot write '${path}': ${reason} (${code ?? String(e)})`);
}

/**
 * Writes `path` atomically: `write` fills a temporary in the same directory,
 * which is then synced and renamed over `path`. On failure the temporary is
 * removed and an existing `path` is left as it was.
 */
export async function writeAtomically(
  op: string,
  path: string,
  write: (fh: FileHandle) => Promise<void>,
): Promise<void> {
  const [fs, nodePath] = await nodeFs();
  const dir = nodePath.dirname(path);
  // Refused before anything is written: a directory where the file should go.
  const existing = await fs.stat(path).catch(() => null);
  if (existing && !existing.isFile()) {
    throw NerveError.raw(
      op,
      `cannot write '${path}': it is ${existing.isDirectory() ? 'a directory (EISDIR)' : 'not a regular file'}`,
    );
  }
  await removeStaleTemporaries(dir);
  const tmp = nodePath.join(dir, temporaryName(nodePath.basename(path)));
  let fh: FileHandle | null = null;
  let created = false;
  try {
    fh = await fs.open(tmp, 'wx');
    created = true;
    await write(fh);
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.rename(tmp, path);
    created = false;
  } catch (e) {
    await fh?.close().catch(() => {});
    if (created) await fs.rm(tmp, { force: true }).catch(() => {});
    throw writeError(op, e, path, dir);
  }
  // Makes the rename itself durable; not every platform can open a directory.
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort
  }
}
