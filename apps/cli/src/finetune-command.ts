/**
 * `nerve finetune`: transfer learning on Fashion-MNIST. A small CNN
 * pretrained on classes 0–4 (loaded with --from, or pretrained now) is
 * finetuned to classes 5–9 from a few labelled images per class, and compared
 * with the same network trained from scratch on the same images, over seeds.
 */
import { type TransferDemoResult, type TransferMethod, runTransferDemo } from '@nerve/train';
import { UsageError, numberFlag, parseFlags } from './args.js';

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

export function parseFinetuneArgs(argv: string[]): FinetuneArgs {
  const values = parseFlags(argv, {
    from: { type: 'string' },
    'save-pretrained': { type: 'string' },
    freeze: { type: 'string' },
    'new-classes': { type: 'string' },
    seeds: { type: 'string' },
    shots: { type: 'string' },
    epochs: { type: 'string' },
    'pretrain-images': { type: 'string' },
    'pretrain-epochs': { type: 'string' },
    'data-dir': { type: 'string' },
    json: { type: 'boolean' },
  });
  const s = (k: string) => values[k] as string | undefined;
  const freeze = s('freeze');
  if (freeze !== undefined && freeze !== 'backbone' && freeze !== 'none') {
    throw new UsageError(
      `--freeze: expected backbone (train a new head on frozen convolutions) or none (finetune everything), received '${freeze}'`,
    );
  }
  const classes = s('new-classes');
  if (classes !== undefined && classes !== '5-9' && classes !== '5,6,7,8,9') {
    throw new UsageError(
      `--new-classes: expected 5-9 (the pretrained network knows classes 0-4 of Fashion-MNIST), received '${classes}'`,
    );
  }
  for (const flag of ['from', 'save-pretrained']) {
    const v = s(flag);
    if (v !== undefined && !v.endsWith('.safetensors')) {
      throw new UsageError(`--${flag}: expected a path ending in .safetensors, received '${v}'`);
    }
  }
  const seedText = s('seeds') ?? '0,1,2,3,4';
  const seeds = seedText.split(',').map(Number);
  if (!seeds.every((x) => Number.isInteger(x) && x >= 0) || new Set(seeds).size !== seeds.length) {
    throw new UsageError(
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
    shots: numberFlag('shots', s('shots'), 20, 1, 5000, true),
    epochs: numberFlag('epochs', s('epochs'), 20, 1, 1000, true),
    pretrainImages: numberFlag('pretrain-images', s('pretrain-images'), 10_000, 100, 30_000, true),
    pretrainEpochs: numberFlag('pretrain-epochs', s('pretrain-epochs'), 2, 1, 100, true),
    dataDir: s('data-dir'),
    json: values.json === true,
  };
}

export function runFinetune(
  args: FinetuneArgs,
  log: (line: string) => void,
): Promise<TransferDemoResult> {
  log(
    `nerve finetune: ${args.from ? `pretrained ${args.from}` : `pretraining on ${args.pretrainImages} images of classes 0–4`}, ${args.shots} labelled images per new class, ${args.epochs} epochs, seeds ${args.seeds.join(',')}`,
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
    log,
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
