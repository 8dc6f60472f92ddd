/**
 * @nerve/tune: hyperparameter search done the way a practitioner would:
 * search spaces with log-scaled ranges and conditional parameters, random,
 * grid and coarse-to-fine search, ASHA and patience stopping, parallel trials
 * on worker threads, resumable study files, k-fold cross-validation, a study
 * report with warnings, and the learning-rate range test.
 *
 * Everything that runs in a browser is listed once, in browser.ts; this Node
 * entry adds the parts that need worker threads and the file system.
 *
 * @module @nerve/tune
 */
export * from './browser.js';
export type { ObjectiveRef } from './pool.js';
export {
  runStudy,
  type StudyOptions,
  type StudyResult,
  type StageSummary,
} from './study.js';
export { readStudyFile, type StudyHeader, type StudyFileContents } from './study-file.js';
export {
  runStudyWorker,
  StudyWorkerInterrupted,
  studyDefinition,
  type StudyWorkerOptions,
  type StudyWorkerResult,
} from './study-worker.js';
export { openStudyStorage, isPostgresUrl } from './open-storage.js';
export { JsonlStudyStorage } from './study-jsonl.js';
export { PostgresStudyStorage, type PostgresStorageOptions } from './study-postgres.js';
export type {
  StudyStorage,
  StudyDefinition,
  StoredTrial,
  TrialState,
  ClaimedTrial,
  RungOutcome,
  EpochValue,
  OpenedStudy,
  StoredStudy,
  StudySummary,
  TrialResult,
  RecordedAndClaimed,
} from './storage.js';
export {
  showStudy,
  spaceFromFingerprint,
  definitionFromHeader,
  type ShownStudy,
} from './study-show.js';
