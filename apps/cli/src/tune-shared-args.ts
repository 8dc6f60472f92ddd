/**
 * The checks on `nerve tune --storage … --study NAME` (a shared study):
 * kept apart from tune-command.ts so that file only calls them.
 */
import { UsageError } from './args.js';

/** `{ storage }` when --storage is given, after checking the flags that go with it. */
export function sharedStudyArgs(
  storage: string | undefined,
  study: string | undefined,
  search: string,
  workers: number,
): { storage?: string } {
  if (storage === undefined) return {};
  const fail = (m: string) => new UsageError(m, 'tune');
  if (study === undefined || !/^[\w.-]{1,100}$/.test(study)) {
    throw fail(
      `--study: with --storage, expected the study's name (letters, digits, _ . -), received ${study === undefined ? 'none' : `'${study}'`}`,
    );
  }
  if (search === 'coarse-to-fine') {
    throw fail(
      '--search: a shared study takes random or grid search (coarse-to-fine stages are not shared yet), received coarse-to-fine',
    );
  }
  if (workers !== 1) {
    throw fail(
      `--workers: with --storage each process runs one trial at a time (start more processes to run more), received ${workers}`,
    );
  }
  return { storage };
}
