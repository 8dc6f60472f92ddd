/**
 * The `nerve` command. `main` takes the arguments and output streams so tests
 * run it in-process; the bottom of the file runs it when executed directly.
 *
 * Exit codes: 0 done, 1 a runtime error (one line `nerve: <message>`),
 * 2 a usage error (the message and a hint at the command's help),
 * 130 interrupted by Ctrl-C. Under --json, stdout carries JSON Lines only
 * (events, then the summary or {"event":"error"} last); the rest goes to stderr.
 */
import '@nerve/backend-cpu';
import { parseEvalArgs, parseTrainArgs } from './args.js';
import { formatBench, parseBenchArgs, runBench } from './bench-command.js';
import { COMMANDS, LAB, LR_FIND } from './commands.js';
import { runEval } from './eval-command.js';
import { formatExport, parseExportArgs, runExport } from './export-command.js';
import { formatFinetune, parseFinetuneArgs, runFinetune } from './finetune-command.js';
import { formatFinetuneData, runFinetuneData } from './finetune-data.js';
import { UsageError, suggestion, wantsHelp } from './flags.js';
import { formatHelp, formatUsage, usageHint } from './help.js';
import { Interrupted } from './interrupt.js';
import { formatLrFind, parseLrFindArgs, runLrFind } from './lr-find-command.js';
import { formatPredict, parsePredictArgs, runPredict } from './predict-command.js';
import { formatResult, runTrain } from './train-command.js';
import type { Io, Out } from './io.js';
import { runTuneCommand } from './tune-main.js';
import { cliVersion } from './version.js';

/** The general help (`nerve --help`). */
export const USAGE = formatUsage();

export type { Io, Out } from './io.js';

/** lr-find's defaults, read from its parser so the help cannot disagree with it. */
function lrFindDefaults(): Record<string, unknown> {
  const d = parseLrFindArgs([]) as unknown as Record<string, unknown>;
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [kebab(k), v]));
}

async function run(command: string, rest: string[], io: Io, o: Out): Promise<number> {
  const { out, err, event } = o;
  if (command === 'train') {
    const args = parseTrainArgs(rest);
    const result = await runTrain(args, {
      log: args.json ? err : out,
      warn: err,
      progress: args.json ? io.stderr : io.stdout,
      onEpoch: args.json
        ? (record, epochs) => event({ event: 'epoch', epochs, ...record })
        : undefined,
    });
    if (args.json) event({ event: 'summary', ...result });
    else out(formatResult(result));
    return 0;
  }
  if (command === 'eval') {
    const args = parseEvalArgs(rest);
    const r = await runEval(args);
    if (args.json) event({ event: 'summary', ...r });
    else {
      const score =
        r.testRmse !== undefined
          ? `RMSE ${r.testRmse.toPrecision(4)}  loss ${r.testLoss.toFixed(4)} (MSE of z-scores)`
          : `test accuracy ${(r.testAccuracy * 100).toFixed(2)}%  test loss ${r.testLoss.toFixed(4)}`;
      const where = args.csv ?? args.images;
      out(
        `${score}  (${r.count} ${where ? `examples in ${where}` : `${r.dataset} test examples`})`,
      );
    }
    return 0;
  }
  if (command === 'predict') {
    const args = parsePredictArgs(rest);
    const r = await runPredict(args);
    if (args.json) {
      for (const row of r.rows) event({ event: 'prediction', ...row });
      const { rows, ...summary } = r;
      event({ event: 'summary', ...summary, count: rows.length });
    } else out(formatPredict(r, args.top));
    return 0;
  }
  if (command === 'export') {
    const args = parseExportArgs(rest);
    const r = await runExport(args);
    if (args.json) event({ event: 'summary', ...r });
    else out(formatExport(r));
    return 0;
  }
  if (command === 'tune') return runTuneCommand(rest, o);
  if (command === 'bench') {
    const args = parseBenchArgs(rest);
    const r = await runBench(
      args,
      args.json
        ? (b, m) => event({ event: 'result', backend: b.id, threads: b.threads, ...m })
        : (b, m) =>
            err(
              `${b.id} ${m.workload}: ${m.value === null ? m.skipped : m.value.toFixed(1)} ${m.unit}`,
            ),
    );
    if (args.json) event({ event: 'summary', ...r });
    else out(formatBench(r));
    return 0;
  }
  if (command === 'lab') {
    // A one-line progress indicator, only where someone watches a terminal.
    const progress = io.stderr.isTTY
      ? (line: string) => void io.stderr.write(`\r\x1b[K${line}`)
      : undefined;
    // Loaded on demand: the plotting stack (Observable Plot, d3, linkedom) costs
    // the other commands nothing at startup.
    const { runLabCommand } = await import('./lab-command.js');
    return runLabCommand(rest, o, { progress });
  }
  if (command === 'lr-find') {
    const args = parseLrFindArgs(rest);
    const r = await runLrFind(args);
    if (args.json) event({ event: 'summary', ...r });
    else out(formatLrFind(r));
    return 0;
  }
  if (command === 'finetune') {
    const args = parseFinetuneArgs(rest);
    if (args.mode === 'data') {
      const r = await runFinetuneData(args, args.json ? err : out);
      if (args.json) event({ event: 'summary', ...r });
      else out(formatFinetuneData(r));
      return 0;
    }
    const r = await runFinetune(
      args,
      args.json ? err : out,
      args.json ? (seed, accuracy) => event({ event: 'seed', seed, accuracy }) : undefined,
    );
    if (args.json) event({ event: 'summary', ...r });
    else out(formatFinetune(r, args.methods));
    return 0;
  }
  const names = [...COMMANDS.map((c) => c.name), 'help', 'version'];
  throw new UsageError(
    `unknown command '${command}'${suggestion(command, names)} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
  );
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage, 130 Ctrl-C). */
export async function main(argv: string[], io: Io = process): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  const o: Out = {
    out: (s) => void io.stdout.write(`${s}\n`),
    err: (s) => void io.stderr.write(`${s}\n`),
    event: (e) => void io.stdout.write(`${JSON.stringify(e)}\n`),
  };
  const def = COMMANDS.find((c) => c.name === command);
  try {
    if (command === undefined) {
      o.err(USAGE);
      return 2;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      if (rest[0] === 'tune' && rest[1] === 'show') {
        const { TUNE_SHOW } = await import('./tune-show.js');
        o.out(formatHelp(TUNE_SHOW));
        return 0;
      }
      const target = COMMANDS.find((c) => c.name === rest[0]);
      o.out(target ? formatHelp(target, target === LR_FIND ? lrFindDefaults() : {}) : USAGE);
      return 0;
    }
    if (command === 'version' || command === '--version') {
      o.out(cliVersion());
      return 0;
    }
    if (command === 'tune' && rest[0] === 'show' && wantsHelp(rest.slice(1))) {
      const { TUNE_SHOW } = await import('./tune-show.js');
      o.out(formatHelp(TUNE_SHOW));
      return 0;
    }
    // `nerve lab` has subcommands and per-experiment flags: it answers --help itself.
    if (def && def !== LAB && wantsHelp(rest)) {
      o.out(formatHelp(def, def === LR_FIND ? lrFindDefaults() : {}));
      return 0;
    }
    return await run(command, rest, io, o);
  } catch (e) {
    const usage = e instanceof UsageError;
    const code = e instanceof Interrupted ? 130 : usage ? 2 : 1;
    // One line: a multi-line message is joined, and no stack or usage text for runtime errors.
    const message = String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ');
    o.err(`nerve: ${message}`);
    if (usage) o.err(usageHint(e.command ?? def?.name));
    if (json) o.event({ event: 'error', message, exitCode: code });
    return code;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && /(main\.ts|nerve(\.mjs)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
