/**
 * `nerve tune` as the CLI runs it: the --json event stream (one line per
 * finished trial, the summary last) and Ctrl-C.
 *
 * Alone (no --storage), Ctrl-C exits at once with 130. Exiting at once is
 * safe: each trial line is appended with one synchronous write (a signal
 * handler cannot run in the middle of it), and the study file's lock is
 * released by its exit hook.
 *
 * A shared study's worker (--storage) gives its running trial back to the
 * queue first, so another process takes it at once rather than after the
 * heartbeat grace, then exits 130 (SIGINT) or 143 (SIGTERM) with one line. A
 * second signal exits at once; the trial then goes back when its heartbeat
 * goes stale.
 */
import { StudyWorkerInterrupted } from '@nerve/tune';
import type { Out } from './io.js';
import { watchInterrupt } from './interrupt.js';
import { type TuneArgs, formatStudy, parseTuneArgs, runTune, tuneJson } from './tune-command.js';

/** Parses, runs and reports `nerve tune`; resolves to the exit code. */
export async function runTuneCommand(argv: string[], o: Out): Promise<number> {
  if (argv[0] === 'show') {
    const { runTuneShow } = await import('./tune-show.js');
    return runTuneShow(argv.slice(1), o);
  }
  const args = parseTuneArgs(argv);
  if (args.storage !== undefined) return runSharedWorker(args, o);
  const watch = watchInterrupt(() => {
    const message = `interrupted; ${args.study ? `finished trials are kept in ${args.study}, and running the same command again resumes` : 'finished trials were not kept (no --study file)'}`;
    o.err(`nerve: ${message}`);
    if (args.json) o.event({ event: 'error', message, exitCode: 130 });
    process.exit(130);
  });
  try {
    return finish(args, o, await run(args, o));
  } finally {
    watch.dispose();
  }
}

function run(args: TuneArgs, o: Out, signal?: AbortSignal) {
  return runTune(
    args,
    args.json ? o.err : o.out,
    args.json ? (t) => o.event({ event: 'trial', ...t }) : undefined,
    signal,
  );
}

function finish(args: TuneArgs, o: Out, r: Awaited<ReturnType<typeof runTune>>): number {
  o.out(
    args.json
      ? tuneJson(r)
      : `${formatStudy(r, { top: 20 })}\nwall time ${r.wallSeconds.toFixed(1)} s${r.report ? `\nreport ${r.report}` : ''}`,
  );
  return 0;
}

/** One worker of a shared study, with Ctrl-C / SIGTERM giving its trial back (file comment). */
async function runSharedWorker(args: TuneArgs, o: Out): Promise<number> {
  const abort = new AbortController();
  let first: NodeJS.Signals | null = null;
  const exitCode = (s: NodeJS.Signals) => (s === 'SIGTERM' ? 143 : 130);
  const say = (message: string, code: number) => {
    o.err(`nerve: ${message}`);
    if (args.json) o.event({ event: 'error', message, exitCode: code });
  };
  const onSignal = (s: NodeJS.Signals) => {
    if (first === null) {
      first = s;
      abort.abort();
      return;
    }
    const code = exitCode(first);
    say(
      `interrupted again; exiting without giving the running trial back (it returns to the queue when its heartbeat goes stale)`,
      code,
    );
    process.exit(code);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return finish(args, o, await run(args, o, abort.signal));
  } catch (e) {
    if (!(e instanceof StudyWorkerInterrupted) || first === null) throw e;
    const code = exitCode(first);
    say(
      `interrupted (${first}); ${e.released !== null ? `trial ${e.released} went back to the queue for another process` : e.recorded !== null ? `trial ${e.recorded} had finished and was recorded first` : 'no trial was running'}; the study stays in its storage, and the same command joins it again`,
      code,
    );
    // The objective may still be computing its current batch: exit now rather than wait for it.
    process.exit(code);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
