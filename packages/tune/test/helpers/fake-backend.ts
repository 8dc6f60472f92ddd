/**
 * A stand-in for a backend module, imported by worker threads when a study
 * names it as backendModule: it records that it was imported and how many
 * threads the worker asked for, for `backendSeen` to report.
 */
const seen = globalThis as { __tuneFakeBackend?: { threads: number } };
seen.__tuneFakeBackend = { threads: -1 };

/** Like backend-cpu's setThreads: the worker sets 1. */
export function setThreads(n: number): void {
  if (seen.__tuneFakeBackend) seen.__tuneFakeBackend.threads = n;
}
