/** Running an experiment on the backend its context names. */
import { getBackendName, ready, setBackend } from '@nerve/core';

/**
 * Makes `name` the active backend for a run (when given) and returns a
 * function that restores the previous one. The caller registered it.
 */
export async function selectBackend(name: string | undefined): Promise<() => void> {
  if (name === undefined || name === getBackendName()) return () => {};
  const previous = getBackendName();
  setBackend(name);
  await ready();
  return () => setBackend(previous);
}

/** Runs `fn` with `name` as the active backend (when given), then restores the previous one. */
export async function withBackend<T>(name: string | undefined, fn: () => Promise<T>): Promise<T> {
  const restore = await selectBackend(name);
  try {
    return await fn();
  } finally {
    restore();
  }
}
