/**
 * The CLI run in-process (`main()`, as the docs lab, bench/transfer-table.ts
 * and these tests call it) frees every tensor it made, on success and on
 * error: each command runs twice and the live tensor count is back at
 * exactly where it started after each run. A process that exits never
 * noticed; before this test `nerve train` left 24 tensors per run here (its
 * model, Adam's state and the data; 36 for a LeNet-5) and `nerve eval
 * --images` one (the unstandardized input).
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, memory } from '@nerve/core';
import { save } from '@nerve/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { buildModel } from '../src/models.js';
import { capture } from './helpers.js';
import { stripesFolder } from './image-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-leaks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images = stripesFolder(join(dir, 'stripes'), 8, 3);
/** A folder with a class the image checkpoint does not know. */
const strangers = join(dir, 'strangers');
stripesFolder(strangers, 2, 4);
rmSync(join(strangers, 'vertical'), { recursive: true });
stripesFolder(join(strangers, 'diagonal'), 2, 5);
const csv = join(dir, 'points.csv');
const cnn = join(dir, 'cnn.safetensors');
const mlp = join(dir, 'digits.safetensors');
const table = join(dir, 'table.safetensors');
/** Weights without a nerve description (as torchvision's are). */
const bare = join(dir, 'bare.safetensors');

/** Two classes of points around (±2, ±2) with unit noise. */
function points(path: string, rows: number, seed: number) {
  const g = new Generator(seed);
  const lines = ['x,y,kind'];
  for (let i = 0; i < rows; i++) {
    const k = i % 2;
    const [nx, ny] = g.normal(2);
    lines.push(`${(k ? 2 : -2) + nx},${(k ? 2 : -2) + ny},${k ? 'up' : 'down'}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}
points(csv, 60, 7);

/**
 * Runs `nerve <argv>` in-process; `sigint`: deliver Ctrl-C to the command's
 * own SIGINT listener once the first --json epoch event is written (the
 * listeners of the test runner are left alone).
 */
async function run(argv: string[], opts: { sigint?: boolean } = {}) {
  const c = capture();
  const theirs = new Set(process.listeners('SIGINT'));
  let sent = false;
  const write = c.io.stdout.write;
  c.io.stdout.write = (s: string) => {
    if (opts.sigint && !sent && s.includes('"event":"epoch"')) {
      sent = true;
      for (const l of process.listeners('SIGINT')) if (!theirs.has(l)) l('SIGINT');
    }
    return write(s);
  };
  const code = await main(argv, c.io as never);
  return { code, err: c.err(), sent };
}

/**
 * Runs `argv` twice; after each run the exit code is `code` and the live
 * tensor count is exactly what it was before the first (no tolerance: every
 * tensor a command makes is its own to free; what it returns holds numbers).
 */
async function leavesNothing(argv: string[], code: number, opts: { sigint?: boolean } = {}) {
  const before = memory().numTensors;
  for (let i = 0; i < 2; i++) {
    const r = await run(argv, opts);
    expect(r.code, r.err).toBe(code);
    if (code === 0) expect(r.err).not.toMatch(/^nerve: /m);
    if (opts.sigint) expect(r.sent).toBe(true);
    expect(memory().numTensors, `${argv.join(' ')} (run ${i + 1})`).toBe(before);
  }
}

/**
 * Small runs on a 2-core machine: most take a second or two each; the limit
 * is a guard for a loaded machine, not a performance assertion.
 */
const SLOW = 120_000;

beforeAll(async () => {
  // The checkpoints the scoring commands read (made here, so every test can run alone).
  for (const argv of [
    ['train', '--images', images, '--size', '12', '--model', 'cnn', '--epochs', '1', '--out', cnn],
    ['train', '--epochs', '1', '--limit', '200', '--out', mlp],
    ['train', '--csv', csv, '--label', 'kind', '--epochs', '1', '--out', table],
  ]) {
    const r = await run(argv);
    expect(r.code, r.err).toBe(0);
  }
  const model = buildModel({
    kind: 'mlp',
    inputShape: [2],
    classes: 2,
    hidden: [4],
    activation: 'relu',
    batchnorm: false,
    init: 'default',
    seed: 0,
  });
  await save(model, bare);
  model.dispose();
}, SLOW);

describe('commands run in-process leave no live tensors', () => {
  it(
    'nerve train: a folder of images, a built-in set, a table; and stopped by Ctrl-C',
    async () => {
      await leavesNothing(
        ['train', '--images', images, '--size', '12', '--model', 'cnn', '--epochs', '1'],
        0,
      );
      await leavesNothing(['train', '--epochs', '1', '--limit', '200', '--json'], 0);
      await leavesNothing(['train', '--csv', csv, '--label', 'kind', '--epochs', '2'], 0);
      // An error after the model, the optimizer and the data exist: Interrupted (130).
      await leavesNothing(['train', '--epochs', '20', '--limit', '200', '--json'], 130, {
        sigint: true,
      });
      // An error before anything was built: no such folder.
      await leavesNothing(['train', '--images', join(dir, 'missing')], 1);
    },
    SLOW,
  );

  it(
    'nerve eval: images, a table, a built-in set; and the errors after loading data',
    async () => {
      await leavesNothing(['eval', '--checkpoint', cnn, '--images', images, '--json'], 0);
      await leavesNothing(['eval', '--checkpoint', table, '--csv', csv], 0);
      await leavesNothing(['eval', '--checkpoint', mlp], 0);
      // The data set is loaded, then found not to fit the network.
      await leavesNothing(['eval', '--checkpoint', mlp, '--dataset', 'spiral'], 1);
      // The folder is loaded, then found to hold a class the checkpoint does not know.
      await leavesNothing(['eval', '--checkpoint', cnn, '--images', strangers], 1);
    },
    SLOW,
  );

  it(
    'nerve predict: images and a table',
    async () => {
      await leavesNothing(
        ['predict', '--checkpoint', cnn, '--images', join(images, 'vertical'), '--json'],
        0,
      );
      await leavesNothing(['predict', '--checkpoint', table, '--csv', csv], 0);
    },
    SLOW,
  );

  it(
    'nerve finetune on data: success, and errors after the data and the network exist',
    async () => {
      await leavesNothing(
        ['finetune', '--from', cnn, '--images', images, '--epochs', '1', '--json'],
        0,
      );
      await leavesNothing(
        ['finetune', '--from', cnn, '--images', images, '--freeze', 'backbone', '--epochs', '1'],
        0,
      );
      // The network is built, then --unfreeze-last names more stages than it has.
      await leavesNothing(
        ['finetune', '--from', cnn, '--images', images, '--unfreeze-last', '9'],
        1,
      );
      // The data are loaded, then the weights do not fit the network they need.
      await leavesNothing(['finetune', '--from', mlp, '--images', images], 1);
      // The data are loaded, then the file is found to name no network (and --model is absent).
      await leavesNothing(['finetune', '--from', bare, '--images', images], 1);
    },
    SLOW,
  );

  it(
    'nerve lr-find, nerve export, nerve tune',
    async () => {
      await leavesNothing(['lr-find', '--steps', '10', '--json'], 0);
      await leavesNothing(['lr-find', '--images', images, '--size', '12', '--steps', '10'], 0);
      await leavesNothing(['export', '--checkpoint', cnn, '--onnx', join(dir, 'cnn.onnx')], 0);
      await leavesNothing(['export', '--checkpoint', table, '--onnx', join(dir, 't.onnx')], 0);
      await leavesNothing(['tune', '--trials', '2', '--epochs', '1', '--json'], 0);
    },
    SLOW,
  );
});
