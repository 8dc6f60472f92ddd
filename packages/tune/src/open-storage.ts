/**
 * Opens a study storage from a location: a postgresql:// (or postgres://)
 * URL, or a path to a JSON-lines file. Each storage's module is imported
 * only when a location asks for it: a PostgreSQL worker never evaluates the
 * file storage and its lock, and a file study never loads PostgreSQL's driver.
 */
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
  const { JsonlStudyStorage } = await import('./study-jsonl.js');
  return new JsonlStudyStorage(location);
}
