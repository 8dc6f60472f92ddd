/**
 * `nerve finetune`: transfer learning on Fashion-MNIST. A small CNN
 * pretrained on classes 0–4 (loaded with --from, or pretrained now) is
 * finetuned to classes 5–9 from a few labelled images per class, and compared
 * with the same network trained from scratch on the same images, over seeds.
 */
import { UsageError, archArgs, dataArgs } from './args.js';
import { FINETUNE } from './commands.js';
import type { FinetuneDataArgs } from './finetune-data.js';
import { type FlagValues, parseCommand } from './flags.js';
import { architectureFlags } from './flags-common.js';
import {
  type TransferDemoResult,
  type TransferMethod,
  runTransferDemo,
} from './demos/transfer-demo.js';
import { checkWritable } from './out-path.js';

export interface FinetuneArgs {
  /** The Fashion-MNIST demo (no data flag given). */
  mode: 'demo';
  from?: string;
  savePretrained?: string;
  /** Which transfer methods to compare with scratch. */
  methods: TransferMethod[];
  seeds: number[];
  shots: number;
  epochs: number;
  pretrainImages: number;
  pretrainEpochs: number;
  dataDir?: string;
  json: boolean;
}

/** Parses `nerve finetune` flags (table: FINETUNE in commands.ts). */
export function parseFinetuneArgs(argv: string[]): FinetuneArgs | FinetuneDataArgs {
  const v = parseCommand(FINETUNE, argv);
  const s = (k: string) => v[k] as string | undefined;
  const fail = (message: string) => new UsageError(message, 'finetune');
  const ownData = DATA_FLAGS.filter((f) => given(argv, f));
  if (ownData.length > 0) return parseDataArgs(v, argv, ownData[0]);
  const dataOnly = DATA_ONLY.find((f) => given(argv, f));
  if (dataOnly !== undefined) {
    throw fail(
      `--${dataOnly}: expected a data flag too (--images, --csv or --dataset: finetuning on your data; without one, nerve finetune runs the Fashion demo)`,
    );
  }
  const freeze = s('freeze');
  const classes = s('new-classes');
  if (classes !== '5-9' && classes !== '5,6,7,8,9') {
    throw fail(
      `--new-classes: expected 5-9 (the pretrained network knows classes 0-4 of Fashion-MNIST), received '${classes}'`,
    );
  }
  for (const flag of ['from', 'save-pretrained']) {
    const p = s(flag);
    if (p !== undefined && !p.endsWith('.safetensors')) {
      throw fail(`--${flag}: expected a path ending in .safetensors, received '${p}'`);
    }
  }
  const seedText = s('seeds') as string;
  const seeds = seedText.split(',').map(Number);
  if (!seeds.every((x) => Number.isInteger(x) && x >= 0) || new Set(seeds).size !== seeds.length) {
    throw fail(
      `--seeds: expected distinct non-negative integers separated by commas, received '${seedText}'`,
    );
  }
  return {
    mode: 'demo',
    from: s('from'),
    savePretrained: s('save-pretrained'),
    methods:
      freeze === 'backbone'
        ? ['frozen']
        : freeze === 'none'
          ? ['finetune']
          : ['frozen', 'finetune'],
    seeds,
    shots: v.shots as number,
    epochs: (v.epochs as number | undefined) ?? 20,
    pretrainImages: v['pretrain-images'] as number,
    pretrainEpochs: v['pretrain-epochs'] as number,
    dataDir: s('data-dir'),
    json: v.json === true,
  };
}

/** The flags that name data of the user's own (or a built-in set): finetuning on it, not the demo. */
const DATA_FLAGS = ['images', 'csv', 'dataset', 'model'] as const;
/** Flags of finetuning on data that the demo does not take. */
const DATA_ONLY = [
  'unfreeze-last',
  'lr',
  'backbone-lr-mult',
  'optimizer',
  'batch-size',
  'out',
  'seed',
  ...architectureFlags.map((f) => f.name),
];
/** Flags of the demo that finetuning on data does not take. */
const DEMO_ONLY = [
  'save-pretrained',
  'new-classes',
  'seeds',
  'shots',
  'pretrain-images',
  'pretrain-epochs',
];

function given(argv: readonly string[], flag: string): boolean {
  return argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
}

/** `nerve finetune --from W (--images DIR | --csv F | --dataset D) …`, checked. */
function parseDataArgs(v: FlagValues, argv: string[], via: string): FinetuneDataArgs {
  const fail = (message: string) => new UsageError(message, 'finetune');
  const demo = DEMO_ONLY.find((f) => given(argv, f));
  if (demo !== undefined) {
    throw fail(`--${demo}: expected without --${via} (a flag of the Fashion demo)`);
  }
  const from = v.from as string | undefined;
  if (from === undefined || !from.endsWith('.safetensors')) {
    throw fail(
      `--from: expected the pretrained weights, a path ending in .safetensors, received ${from === undefined ? 'none' : `'${from}'`}`,
    );
  }
  const out = v.out as string | undefined;
  if (out !== undefined && !out.endsWith('.safetensors')) {
    throw fail(`--out: expected a path ending in .safetensors, received '${out}'`);
  }
  const unfreezeLast = v['unfreeze-last'] as number | undefined;
  if (unfreezeLast !== undefined && v.freeze !== undefined) {
    throw fail(
      `--unfreeze-last: expected without --freeze (it says what trains), received --freeze ${v.freeze}`,
    );
  }
  return {
    mode: 'data',
    ...dataArgs(v, argv, 'finetune'),
    ...archArgs(v, 'finetune'),
    from,
    modelGiven: v.model !== undefined,
    freeze: (v.freeze as 'backbone' | 'none' | undefined) ?? 'none',
    ...(unfreezeLast === undefined ? {} : { unfreezeLast }),
    lr: v.lr as number,
    backboneLrMult: v['backbone-lr-mult'] as number,
    optimizer: v.optimizer as FinetuneDataArgs['optimizer'],
    epochs: (v.epochs as number | undefined) ?? 5,
    batchSize: v['batch-size'] as number,
    seed: v.seed as number,
    ...(out === undefined ? {} : { out }),
    json: v.json === true,
  };
}

/** Runs the comparison; progress lines go to `log`, each finished seed to `onSeed`. */
export function runFinetune(
  args: FinetuneArgs,
  log: (line: string) => void,
  onSeed?: (seed: number, accuracy: Partial<Record<TransferMethod, number>>) => void,
): Promise<TransferDemoResult> {
  // Before pretraining: a save that would fail at the end fails now.
  if (args.savePretrained) checkWritable('save-pretrained', args.savePretrained);
  log(
    `nerve finetune: ${args.from ? `pretrained ${args.from}` : `pretraining on ${args.pretrainImages} images of classes 0–4`}, ${args.shots} labelled images per new class, ${args.epochs} epochs, seeds ${args.seeds.join(',')}, comparing scratch with ${args.methods.join(' and ')}`,
  );
  return runTransferDemo({
    pretrained: args.from,
    savePretrained: args.savePretrained,
    seeds: args.seeds,
    shots: args.shots,
    epochs: args.epochs,
    pretrainImages: args.pretrainImages,
    pretrainEpochs: args.pretrainEpochs,
    dataDir: args.dataDir,
    methods: args.methods.filter((m) => m !== 'scratch') as ('frozen' | 'finetune')[],
    log,
    onSeed,
  });
}

const LABELS: Record<TransferMethod, string> = {
  scratch: 'from scratch',
  frozen: 'frozen backbone + new head',
  finetune: 'finetune all (new head)',
};

export function formatFinetune(r: TransferDemoResult, methods: TransferMethod[]): string {
  const rows = (['scratch', ...methods] as TransferMethod[]).map((m) => {
    const { mean, std } = r.summary[m];
    return `${LABELS[m].padEnd(28)} ${mean.toFixed(4)} ± ${std.toFixed(4)}   [${r.accuracy[m].map((a) => a.toFixed(3)).join(' ')}]`;
  });
  const gain = methods.map(
    (m) =>
      `${m} − scratch: ${r.summary[m].mean - r.summary.scratch.mean >= 0 ? '+' : ''}${(r.summary[m].mean - r.summary.scratch.mean).toFixed(4)}`,
  );
  return [
    `test accuracy on classes 5–9 (${r.counts.test} images), ${r.counts.shots} labelled training images, ${r.seeds.length} seeds (mean ± std, per seed):`,
    ...rows,
    gain.join(', '),
    `pretrained network on classes 0–4: ${r.pretrainAccuracy.toFixed(4)}; ${r.seconds.total.toFixed(1)} s`,
  ].join('\n');
}
