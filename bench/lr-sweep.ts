/**
 * Learning-rate sweep with exactly the training of `nerve train` (same data
 * split, model, initialization, optimizer and epochs): for each learning rate
 * on a log grid and each seed, the best validation accuracy over the epochs
 * and the final test accuracy. It is the reference `lr-find`'s suggestion is
 * judged against (docs/lr-find.md); `nerve tune` only tunes the digits MLP,
 * and with its own 64-unit network, so the CNN needs this script.
 *
 *   pnpm tsx --conditions=@nerve/source bench/lr-sweep.ts --model cnn \
 *     --lrs 1e-4:1e-1:13 --seeds 0 [--optimizer adam] [--epochs 20] [--lr 0.003,0.01]
 *   pnpm tsx --conditions=@nerve/source bench/lr-sweep.ts --model cnn --lr-find --seeds 0,1,2
 *
 * `--lrs a:b:n` is n points evenly spaced in log10 between a and b; `--lr`
 * adds single rates. `--lr-find` runs `nerve lr-find` (same model, optimizer
 * and seed) per seed and trains with its suggestion. One JSON line per run
 * on stdout, then a table.
 */
import { parseArgs } from 'node:util';
import { OPTIMIZERS, trainDefaults } from '../apps/cli/src/args.js';
import { parseLrFindArgs, runLrFind } from '../apps/cli/src/lr-find-command.js';
import { runTrain } from '../apps/cli/src/train-command.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    dataset: { type: 'string', default: 'digits' },
    optimizer: { type: 'string', default: 'adam' },
    lrs: { type: 'string' },
    lr: { type: 'string' },
    seeds: { type: 'string', default: '0' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'lr-find': { type: 'boolean', default: false },
  },
});
const model = values.model as 'mlp' | 'cnn';
const dataset = values.dataset as 'digits' | 'fashion-mnist' | 'spiral';
const optimizer = values.optimizer as (typeof OPTIMIZERS)[number];
if (!OPTIMIZERS.includes(optimizer)) throw new Error(`unknown optimizer ${optimizer}`);
const defaults = trainDefaults(dataset, model, optimizer);
const epochs = values.epochs ? Number(values.epochs) : defaults.epochs;
const batchSize = values['batch-size'] ? Number(values['batch-size']) : defaults.batchSize;

const lrs: number[] = [];
if (values.lrs) {
  const [a, b, n] = values.lrs.split(':').map(Number);
  for (let i = 0; i < n; i++) lrs.push(10 ** (Math.log10(a) + (i * Math.log10(b / a)) / (n - 1)));
}
if (values.lr) lrs.push(...values.lr.split(',').map(Number));
const seeds = values.seeds.split(',').map(Number);

const silent = { log: () => {}, warn: () => {}, progress: { write: () => true, isTTY: false } };

async function trainAt(lr: number, seed: number): Promise<{ bestVal: number; test: number }> {
  const r = await runTrain(
    {
      dataset,
      model,
      optimizer,
      epochs,
      lr,
      batchSize,
      init: 'default',
      activation: 'relu',
      batchnorm: false,
      dropout: 0,
      seed,
      json: false,
      backend: 'cpu',
    },
    silent,
  );
  const bestVal = Math.max(...r.history.map((h) => h.valAccuracy ?? 0));
  console.log(
    JSON.stringify({ model, dataset, optimizer, lr, seed, bestVal, test: r.testAccuracy }),
  );
  return { bestVal, test: r.testAccuracy };
}

const rows: { lr: number; val: number[]; test: number[] }[] = [];
for (const lr of lrs) {
  const row = { lr, val: [] as number[], test: [] as number[] };
  for (const seed of seeds) {
    const r = await trainAt(lr, seed);
    row.val.push(r.bestVal);
    row.test.push(r.test);
  }
  rows.push(row);
}
if (values['lr-find']) {
  for (const seed of seeds) {
    const flags = ['--dataset', dataset, '--model', model, '--optimizer', optimizer];
    const found = await runLrFind(parseLrFindArgs([...flags, '--seed', String(seed)]));
    console.log(
      JSON.stringify({
        lrFind: { model, optimizer, seed },
        suggestion: found.suggestion,
        steepest: found.steepest,
        minOver10: found.minOver10,
      }),
    );
    const r = await trainAt(found.suggestion, seed);
    rows.push({ lr: found.suggestion, val: [r.bestVal], test: [r.test] });
  }
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
console.log(`\n${model} on ${dataset}, ${optimizer}, ${epochs} epochs, seeds ${seeds.join(',')}`);
console.log('      lr   best val   test (means over seeds)');
for (const r of rows) {
  console.log(`${r.lr.toPrecision(3).padStart(8)}  ${pct(mean(r.val))}  ${pct(mean(r.test))}`);
}
