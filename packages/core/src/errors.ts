/**
 * Errors that name the operation, what it expected and what it received.
 */
export class NerveError extends Error {
  /** The operation that failed, as the message's prefix names it. */
  readonly op: string;

  constructor(op: string, expected: string, received: string) {
    super(`${op}: expected ${expected}, received ${received}`);
    this.name = 'NerveError';
    this.op = op;
  }

  /** An error whose message is written out in full (still prefixed by the op). */
  static raw(op: string, message: string): NerveError {
    const e = new NerveError(op, '', '');
    e.message = `${op}: ${message}`;
    return e;
  }
}

/** Formats a shape the way error messages print it: [2,3]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
