/**
 * The `nerve` command. `main` takes the arguments and output streams so tests
 * run it in-process; the bottom of the file runs it when executed directly.
 */
import '@nerve/backend-cpu';
import { UsageError, parseEvalArgs, parseTrainArgs } from './args.js';
import { runEval } from './eval-command.js';
import { formatFinetune, parseFinetuneArgs, runFinetune } from './finetune-command.js';
import { formatLrFind, parseLrFindArgs, runLrFind } from './lr-find-command.js';
import { formatResult, runTrain } from './train-command.js';
import { formatStudy, parseTuneArgs, runTune, tuneJson } from './tune-command.js';

export const USAGE = `usage: nerve <command> [flags]

commands:
  train   train a network (default: an MLP on the built-in digits)
          --dataset digits|fashion-mnist|spiral  --model mlp|cnn  --epochs N  --lr X
          --batch-size N  --optimizer sgd|momentum|nesterov|adagrad|rmsprop|adam|adamw
          --init default|small|xavier|xavierNormal|he|heUniform|lecun|orthogonal
          --activation relu|leakyRelu|elu|selu|gelu|silu|tanh|sigmoid|maxout  --batchnorm
          --seed N  --out model.safetensors  --data-dir DIR  --limit N  --json
          --backend cpu|webgpu  --threads N (CPU matmul/conv threads; default: one per core)
  eval    evaluate a checkpoint on its data set's test split
          --checkpoint model.safetensors  [--dataset NAME]  [--data-dir DIR]  [--json]
  tune    hyperparameter search for the digits MLP
          --search random|grid|coarse-to-fine  --trials N  --workers N  --study FILE.jsonl
          --halving  --patience N  --epochs N  --seed N  --json  --space FILE.json
          --lr LOW:HIGH  --weight-decay LOW:HIGH  --hidden LOW:HIGH  --batch-size 32,64
          --optimizer adam,sgd,...
  lr-find the learning-rate range test
          --dataset NAME  --model mlp|cnn  --optimizer NAME  --start-lr X  --end-lr X
          --steps N  --batch-size N  --seed N  --json
  finetune  transfer learning on Fashion-MNIST: pretrain on classes 0-4 (or --from FILE),
          finetune to 5-9 from a few labelled images, compare with training from scratch
          --from FILE.safetensors  --save-pretrained FILE.safetensors  --freeze backbone|none
          --new-classes 5-9  --seeds 0,1,2  --shots N  --epochs N  --pretrain-images N
          --data-dir DIR  --json
`;

export interface Io {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: string[], io: Io = process): Promise<number> {
  const [command, ...rest] = argv;
  const out = (s: string) => io.stdout.write(`${s}\n`);
  const err = (s: string) => io.stderr.write(`${s}\n`);
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'train') {
      const args = parseTrainArgs(rest);
      // Under --json, stdout carries exactly one JSON object; the rest goes to stderr.
      const log = args.json ? err : out;
      const progress = (args.json ? io.stderr : io.stdout) as NodeJS.WriteStream;
      const result = await runTrain(args, log, progress);
      if (args.json) out(JSON.stringify(result));
      else out(formatResult(result));
      return 0;
    }
    if (command === 'eval') {
      const args = parseEvalArgs(rest);
      const r = await runEval(args);
      if (args.json) out(JSON.stringify(r));
      else
        out(
          `test accuracy ${(r.testAccuracy * 100).toFixed(2)}%  test loss ${r.testLoss.toFixed(4)}  (${r.count} ${r.dataset} test examples)`,
        );
      return 0;
    }
    if (command === 'tune') {
      const args = parseTuneArgs(rest);
      const r = await runTune(args, args.json ? err : out);
      out(
        args.json
          ? tuneJson(r)
          : `${formatStudy(r, { top: 20 })}\nwall time ${r.wallSeconds.toFixed(1)} s`,
      );
      return 0;
    }
    if (command === 'lr-find') {
      const args = parseLrFindArgs(rest);
      const r = await runLrFind(args);
      out(args.json ? JSON.stringify(r) : formatLrFind(r));
      return 0;
    }
    if (command === 'finetune') {
      const args = parseFinetuneArgs(rest);
      const r = await runFinetune(args, args.json ? err : out);
      out(args.json ? JSON.stringify(r) : formatFinetune(r, args.methods));
      return 0;
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`nerve: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err(`nerve: ${(e as Error).message}`);
    return 1;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && /(main\.ts|nerve(\.mjs)?)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
