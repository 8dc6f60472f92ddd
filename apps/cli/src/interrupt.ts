/**
 * Ctrl-C (SIGINT) during a command. The first one asks the command to stop
 * at its next safe point (after the current batch: nothing half-written);
 * a second one exits at once. Either way the exit code is 130 (128 + SIGINT).
 */

/** Thrown by a command that stopped because of Ctrl-C; the CLI exits with 130. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** A SIGINT listener for the duration of a command. */
export interface InterruptWatch {
  /** Whether Ctrl-C was pressed. */
  readonly requested: boolean;
  /** Removes the listener. */
  dispose(): void;
}

/**
 * Listens for SIGINT: the first calls `onFirst` (say what happens next),
 * the second calls `onSecond` (default: exit 130 now).
 */
export function watchInterrupt(
  onFirst: () => void,
  onSecond: () => void = () => process.exit(130),
): InterruptWatch {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) onFirst();
    else onSecond();
  };
  process.on('SIGINT', handler);
  return {
    get requested() {
      return count > 0;
    },
    dispose: () => void process.off('SIGINT', handler),
  };
}

/**
 * Lets pending signals be handled. Training runs as a chain of resolved
 * promises (microtasks), and Node delivers a signal only from the event
 * loop: without this, Ctrl-C would wait for the whole run to end.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An onBatchEnd body: yields to the event loop at most every `ms` milliseconds. */
export function periodicYield(ms = 100): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < ms) return undefined;
    last = now;
    return yieldToEventLoop();
  };
}
