/**
 * `nerve finetune`: transfer learning on Fashion-MNIST. A small CNN
 * pretrained on classes 0–4 (loaded with --from, or pretrained now) is
 * finetuned to classes 5–9 from a few labelled images per class, and compared
 * with the same network trained from scratch on the same images, over seeds.
 */
import { UsageError } from './args.js';
import { FINETUNE } from './commands.js';
import { parseCommand } from './flags.js';
import {
  type TransferDemoResult,
  type TransferMethod,
  runTransferDemo,
} from './demos/transfer-demo.js';
import { checkWritable } from './out-path.js';

export interface FinetuneArgs {
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
export function parseFinetuneArgs(argv: string[]): FinetuneArgs {
  const v = parseCommand(FINETUNE, argv);
  const s = (k: string) => v[k] as string | undefined;
  const fail = (message: string) => new UsageError(message, 'finetune');
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
    epochs: v.epochs as number,
    pretrainImages: v['pretrain-images'] as number,
    pretrainEpochs: v['pretrain-epochs'] as number,
    dataDir: s('data-dir'),
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
