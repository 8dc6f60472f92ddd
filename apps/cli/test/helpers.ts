/** In-process capture of the CLI's stdout and stderr. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (s: string) => out.push(s), isTTY: false },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    },
    out: () => out.join(''),
    err: () => err.join(''),
    /** Stdout and stderr together. */
    all: () => out.join('') + err.join(''),
    /** Stdout as JSON Lines, one object per line. */
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    /** The last JSON line: the summary (or the error) under --json. */
    last: () => {
      const ls = out.join('').trimEnd().split('\n');
      return JSON.parse(ls[ls.length - 1]);
    },
  };
}

/** Runs the CLI in-process with captured output: the exit code and the capture. */
export async function runCli(argv: string[]) {
  const { main } = await import('../src/main.js');
  const c = capture();
  const code = await main(argv, c.io as never);
  return { code, ...c };
}
