/**
 * `nerve tune` as the CLI runs it: the --json event stream (one line per
 * finished trial, the summary last) and Ctrl-C, which exits at once with 130.
 * Exiting at once is safe: each trial line is appended with one synchronous
 * write (a signal handler cannot run in the middle of it), and the study
 * file's lock is released by its exit hook.
 */
import type { Out } from './io.js';
import { watchInterrupt } from './interrupt.js';
import { formatStudy, parseTuneArgs, runTune, tuneJson } from './tune-command.js';

/** Parses, runs and reports `nerve tune`; resolves to the exit code. */
export async function runTuneCommand(argv: string[], o: Out): Promise<number> {
  if (argv[0] === 'show') {
    const { runTuneShow } = await import('./tune-show.js');
    return runTuneShow(argv.slice(1), o);
  }
  const args = parseTuneArgs(argv);
  const watch = watchInterrupt(() => {
    const message = `interrupted; ${args.storage ? `the study stays in its storage: this process's running trial goes back to the queue once its heartbeat stops, and another process (or this command again) runs it` : args.study ? `finished trials are kept in ${args.study}, and running the same command again resumes` : 'finished trials were not kept (no --study file)'}`;
    o.err(`nerve: ${message}`);
    if (args.json) o.event({ event: 'error', message, exitCode: 130 });
    process.exit(130);
  });
  try {
    const r = await runTune(
      args,
      args.json ? o.err : o.out,
      args.json ? (t) => o.event({ event: 'trial', ...t }) : undefined,
    );
    o.out(
      args.json
        ? tuneJson(r)
        : `${formatStudy(r, { top: 20 })}\nwall time ${r.wallSeconds.toFixed(1)} s${r.report ? `\nreport ${r.report}` : ''}`,
    );
    return 0;
  } finally {
    watch.dispose();
  }
}
