/**
 * Where the CLI writes: the streams main() is given and the writers the
 * commands use (a file of its own so commands need not import main.ts).
 */

/** The process's streams, or stand-ins with a write method (tests). */
export interface Io {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

/** Line writers for stdout and stderr, and the JSON Lines writer. */
export interface Out {
  out: (s: string) => void;
  err: (s: string) => void;
  /** One JSON event on stdout. */
  event: (e: object) => void;
}
