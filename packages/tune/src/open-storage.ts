/**
 * Opens a study storage from a location: a postgresql:// (or postgres://)
 * URL, or a path to a JSON-lines file. PostgreSQL's driver is imported only
 * when a URL asks for it.
 */
import { JsonlStudyStorage } from './study-jsonl.js';
import type { StudyStorage } from './storage.js';

/** Whether `location` names a PostgreSQL database rather than a file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The storage at `location` (see the file comment). */
export async function openStudyStorage(location: string): Promise<StudyStorage> {
  if (isPostgresUrl(location)) {
    const { PostgresStudyStorage } = await import('./study-postgres.js');
    return PostgresStudyStorage.connect(location);
  }
  return new JsonlStudyStorage(location);
}
