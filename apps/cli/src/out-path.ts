/**
 * Checks, before any training, that an output path can be written: a run
 * that would fail at the end (missing folder, read-only folder, a directory
 * in the way) fails at once, naming the path the user typed.
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NerveError } from '@nerve/core';

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? (e as Error).message;
}

/**
 * Throws a NerveError naming `flag` and `path` unless a file can be created
 * at `path`: its folder exists and is writable (probed by creating and
 * removing a file there) and `path` itself is not a directory.
 */
export function checkWritable(flag: string, path: string): void {
  const op = `--${flag}`;
  const expected = 'a file path in an existing, writable folder';
  try {
    if (statSync(path).isDirectory()) throw new NerveError(op, expected, `'${path}', a directory`);
  } catch (e) {
    if (e instanceof NerveError) throw e;
    if (code(e) !== 'ENOENT') throw new NerveError(op, expected, `'${path}' (${code(e)})`);
  }
  const dir = dirname(resolve(path));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new NerveError(op, expected, `'${path}': its folder ${dir} does not exist (${code(e)})`);
  }
  if (!isDir) throw new NerveError(op, expected, `'${path}': ${dir} is not a folder`);
  const probe = join(dir, `.nerve-write-probe-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new NerveError(op, expected, `'${path}': cannot create files in ${dir} (${code(e)})`);
  }
  unlinkSync(probe);
}

/** A report path must end in .html (or .htm): it is a web page, opened in a browser. */
export function isHtmlPath(path: string): boolean {
  return /\.html?$/i.test(path);
}
