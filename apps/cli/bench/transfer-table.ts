/**
 * The lecture's transfer-learning table, measured through the CLI:
 * similar vs different data × little vs a lot of data, and in each cell
 * what to retrain. A LeNet-5 (@nerve/models) is pretrained once with
 * `nerve train --images` on Fashion-MNIST classes 0–4 (T-shirt … coat),
 * written as a folder of PNGs. The new tasks are folders of PNGs too:
 *
 * - similar: Fashion-MNIST classes 5–9 (sandal, shirt, sneaker, bag, ankle
 *   boot): the same kind of images, classes never seen in pretraining;
 * - different: the UCI handwritten digits (1,797 8×8 scans, the only
 *   other image data here; Debian ships no MNIST), upscaled to 28×28 by the
 *   CLI's `--size 28`: strokes, not clothes, and ten classes.
 *
 * "little" is about 20 (Fashion) or 10 (digits) training images per class,
 * "a lot" about 430 per class (Fashion; 2,150 images) or every digit left
 * after the test images (about 110 per class, 1,070 images; all there is). Each cell runs
 * five ways, all with Adam at the same rate, batches and epochs:
 *
 * - scratch: `nerve train` (a random LeNet-5);
 * - head: `nerve finetune --freeze backbone` (a new linear classifier on top);
 * - last1: `--unfreeze-last 1` (the head and the dense layers C5, F6);
 * - last2: `--unfreeze-last 2` (… and the second convolution);
 * - all: everything, the pretrained layers at a tenth of the head's rate.
 *
 * Every run is `main()` of the CLI with the argv a user would type, and is
 * scored with `nerve eval --checkpoint … --images TEST` on a held-out test
 * folder (Fashion-MNIST's test images, or digits never trained on).
 *
 *   npx tsx --conditions=@nerve/source apps/cli/bench/transfer-table.ts [--quick] [--seeds 0,1] [--out F.json] [--work DIR]
 *     [--cells similar-little,different-lot] [--backbone-lr-mult 0.1]
 *   npx tsx --conditions=@nerve/source apps/cli/bench/transfer-table.ts --print F.json   # the table of a saved run
 *
 * `--quick` is the same table at toy sizes (seconds; what the test runs).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDigits, loadFashionMnist } from '@nerve/data';
import { PNG } from 'pngjs';
import { main } from '../src/main.js';

export const METHODS = ['scratch', 'head', 'last1', 'last2', 'all'] as const;
export type Method = (typeof METHODS)[number];
export const DOMAINS = ['similar', 'different'] as const;
export const SIZES = ['little', 'lot'] as const;

/** What each method retrains, as the flags say it. */
export const METHOD_FLAGS: Record<Method, string[]> = {
  scratch: [],
  head: ['--freeze', 'backbone'],
  last1: ['--unfreeze-last', '1'],
  last2: ['--unfreeze-last', '2'],
  all: [],
};

/** Sizes of one run of the table. */
export interface TableConfig {
  quick: boolean;
  seeds: number[];
  /** Pretraining images per class (Fashion-MNIST 0–4) and epochs. */
  pretrainPerClass: number;
  pretrainEpochs: number;
  /** Images per class in each new task's folder (72% of them train: 20% test, 10% validation). */
  perClass: Record<(typeof DOMAINS)[number], Record<(typeof SIZES)[number], number>>;
  /** Held-out test images per class. */
  testPerClass: Record<(typeof DOMAINS)[number], number>;
  /** Epochs on little and on a lot of data (little: more passes over fewer images). */
  epochs: Record<(typeof SIZES)[number], number>;
  lr: number;
  /** `nerve finetune --backbone-lr-mult`: the pretrained layers' rate ÷ the head's (CLI default 0.1). */
  backboneLrMult: number;
  /** Cells to run, as "similar-little" etc. (default: all four). */
  cells?: string[];
  batchSize: number;
}

export function tableConfig(quick: boolean, seeds?: number[]): TableConfig {
  return quick
    ? {
        quick,
        seeds: seeds ?? [0],
        pretrainPerClass: 100,
        pretrainEpochs: 3,
        perClass: { similar: { little: 14, lot: 40 }, different: { little: 14, lot: 40 } },
        testPerClass: { similar: 40, different: 10 },
        epochs: { little: 15, lot: 4 },
        lr: 2e-3,
        batchSize: 32,
        backboneLrMult: 0.1,
      }
    : {
        quick,
        seeds: seeds ?? [0, 1],
        pretrainPerClass: 2000,
        pretrainEpochs: 3,
        // little: 28 per class → about 20 train; lot: 600 → about 430 (Fashion, 2,150
        // images), every digit left after the test images (about 150 → 110 train).
        perClass: { similar: { little: 28, lot: 600 }, different: { little: 14, lot: 150 } },
        testPerClass: { similar: 400, different: 30 },
        epochs: { little: 30, lot: 3 },
        lr: 2e-3,
        batchSize: 32,
        backboneLrMult: 0.1,
      };
}

const FASHION = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
];

function writePng(path: string, pixels: ArrayLike<number>, side: number, scale: number): void {
  const png = new PNG({ width: side, height: side, colorType: 0 });
  for (let i = 0; i < side * side; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i] * scale)));
    png.data[4 * i] = v;
    png.data[4 * i + 1] = v;
    png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png, { colorType: 0 }));
}

/**
 * Writes `rows` of an image set as `dir/<class>/<row>.png`; `perClass` caps
 * each class, taken in row order. Returns the count per class written.
 */
function writeFolder(
  dir: string,
  images: { x: Float32Array; y: Int32Array; side: number; scale: number; names: string[] },
  rows: Iterable<number>,
  want: (label: number) => boolean,
  perClass: number,
): number {
  const count = new Map<number, number>();
  const per = images.side * images.side;
  let total = 0;
  for (const r of rows) {
    const label = images.y[r];
    if (!want(label) || (count.get(label) ?? 0) >= perClass) continue;
    count.set(label, (count.get(label) ?? 0) + 1);
    const sub = join(dir, images.names[label]);
    if (count.get(label) === 1) mkdirSync(sub, { recursive: true });
    writePng(
      join(sub, `${r}.png`),
      images.x.subarray(r * per, (r + 1) * per),
      images.side,
      images.scale,
    );
    total++;
  }
  return total;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** The folders of one run: pretraining, and per domain the little, lot and test folders. */
export function writeFolders(work: string, c: TableConfig): Record<string, number> {
  const counts: Record<string, number> = {};
  const { train, test } = loadFashionMnist();
  const fash = (ds: typeof train) => ({
    x: ds.tensors[0].dataSync() as Float32Array,
    y: ds.tensors[1].dataSync() as Int32Array,
    side: 28,
    scale: 255,
    names: FASHION,
  });
  const ftrain = fash(train);
  const ftest = fash(test);
  const old = (l: number) => l < 5;
  const fresh = (l: number) => l >= 5;
  counts.pretrain = writeFolder(
    join(work, 'pretrain'),
    ftrain,
    range(0, 60000),
    old,
    c.pretrainPerClass,
  );
  // The new task's folders draw from the training images of 5–9, little ones a prefix of the lot's.
  for (const size of SIZES) {
    counts[`similar-${size}`] = writeFolder(
      join(work, `similar-${size}`),
      ftrain,
      range(0, 60000),
      fresh,
      c.perClass.similar[size],
    );
  }
  counts['similar-test'] = writeFolder(
    join(work, 'similar-test'),
    ftest,
    range(0, 10000),
    fresh,
    c.testPerClass.similar,
  );
  train.dispose();
  test.dispose();

  const d = loadDigits();
  const digits = {
    x: d.x.dataSync() as Float32Array,
    y: d.y.dataSync() as Int32Array,
    side: 8,
    scale: 255 / 16,
    names: range(0, 10).map(String),
  };
  d.x.dispose();
  d.y.dispose();
  // Test digits: the last rows (testPerClass per class, from the end); training: the others.
  const testRows = new Set<number>();
  const seen = new Map<number, number>();
  for (let r = digits.y.length - 1; r >= 0; r--) {
    const l = digits.y[r];
    if ((seen.get(l) ?? 0) < c.testPerClass.different) {
      seen.set(l, (seen.get(l) ?? 0) + 1);
      testRows.add(r);
    }
  }
  const trainRows = range(0, digits.y.length).filter((r) => !testRows.has(r));
  for (const size of SIZES) {
    counts[`different-${size}`] = writeFolder(
      join(work, `different-${size}`),
      digits,
      trainRows,
      () => true,
      c.perClass.different[size],
    );
  }
  counts['different-test'] = writeFolder(
    join(work, 'different-test'),
    digits,
    testRows,
    () => true,
    Infinity,
  );
  return counts;
}

/** Runs `nerve ARGV --json` in-process; its summary event, or an error with the output. */
export async function nerve(argv: string[]): Promise<Record<string, unknown>> {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  };
  const code = await main([...argv, '--json'], io);
  const lines = out.trim().split('\n').filter(Boolean);
  const last = lines.length ? (JSON.parse(lines[lines.length - 1]) as Record<string, unknown>) : {};
  if (code !== 0 || last.event !== 'summary') {
    throw new Error(`nerve ${argv.join(' ')} exited ${code}:\n${err}\n${out}`);
  }
  // nerve finetune's log names the split: "on DIR (N train / V val / T test)".
  const split = /\((\d+) train \/ (\d+) val \/ (\d+) test\)/.exec(err);
  return split ? { ...last, trainImages: Number(split[1]) } : last;
}

/** One measured run. */
export interface Run {
  domain: (typeof DOMAINS)[number];
  size: (typeof SIZES)[number];
  method: Method;
  seed: number;
  accuracy: number;
  /** Seconds of the train or finetune command (loading the folder included). */
  seconds: number;
  trainImages: number;
}

export interface TableResult {
  config: TableConfig;
  images: Record<string, number>;
  pretrain: { accuracy: number; seconds: number };
  runs: Run[];
  /** Per cell and method: mean and half the range over seeds of accuracy, mean seconds. */
  cells: {
    domain: string;
    size: string;
    trainImages: number;
    methods: Record<Method, { mean: number; spread: number; seconds: number; accuracy: number[] }>;
    best: Method;
  }[];
  machine: { cpus: number; loadavgStart: number[]; loadavgEnd: number[]; node: string };
  seconds: number;
  /** Commands as typed (paths relative to the work folder). */
  commands: string[];
}

const IMAGE_FLAGS = ['--size', '28', '--grayscale', '--model', 'lenet5'];

/** Runs the whole table; `log` gets a line per run. */
export async function runTable(
  c: TableConfig,
  opts: { work?: string; log?: (s: string) => void } = {},
): Promise<TableResult> {
  const started = performance.now();
  const loadavgStart = loadavg();
  const log = opts.log ?? (() => {});
  const own = opts.work === undefined;
  const work = opts.work ?? mkdtempSync(join(tmpdir(), 'nerve-transfer-table-'));
  const commands: string[] = [];
  const rel = (args: string[]) =>
    args.map((a) => (a.startsWith(work) ? a.slice(work.length + 1) : a));
  const cli = async (argv: string[]) => {
    commands.push(`nerve ${rel(argv).join(' ')}`);
    return nerve(argv);
  };
  try {
    const images = writeFolders(work, c);
    log(`folders in ${work}: ${JSON.stringify(images)}`);
    const pre = join(work, 'pretrained.safetensors');
    const t0 = performance.now();
    const p = await cli([
      'train',
      '--images',
      join(work, 'pretrain'),
      ...IMAGE_FLAGS,
      '--epochs',
      String(c.pretrainEpochs),
      '--lr',
      String(c.lr),
      '--batch-size',
      String(c.batchSize),
      '--seed',
      '0',
      '--out',
      pre,
    ]);
    const pretrain = {
      accuracy: p.testAccuracy as number,
      seconds: (performance.now() - t0) / 1000,
    };
    log(
      `pretrained on Fashion-MNIST 0-4: test accuracy ${pretrain.accuracy.toFixed(3)}, ${pretrain.seconds.toFixed(1)} s`,
    );
    const runs: Run[] = [];
    const ck = join(work, 'run.safetensors');
    for (const domain of DOMAINS) {
      for (const size of SIZES) {
        if (c.cells && !c.cells.includes(`${domain}-${size}`)) continue;
        for (const seed of c.seeds) {
          for (const method of METHODS) {
            const common = [
              '--images',
              join(work, `${domain}-${size}`),
              ...IMAGE_FLAGS,
              '--epochs',
              String(c.epochs[size]),
              '--lr',
              String(c.lr),
              '--batch-size',
              String(c.batchSize),
              '--seed',
              String(seed),
              '--out',
              ck,
            ];
            const argv =
              method === 'scratch'
                ? ['train', ...common]
                : [
                    'finetune',
                    '--from',
                    pre,
                    ...common,
                    '--backbone-lr-mult',
                    String(c.backboneLrMult),
                    ...METHOD_FLAGS[method],
                  ];
            const t = performance.now();
            const r = await cli(argv);
            const seconds = (performance.now() - t) / 1000;
            const e = await cli([
              'eval',
              '--checkpoint',
              ck,
              '--images',
              join(work, `${domain}-test`),
            ]);
            const trainImages = (r.trainImages as number | undefined) ?? Number.NaN;
            runs.push({
              domain,
              size,
              method,
              seed,
              accuracy: e.testAccuracy as number,
              seconds,
              trainImages,
            });
            log(
              `${domain} ${size} seed ${seed} ${method.padEnd(7)} accuracy ${(e.testAccuracy as number).toFixed(3)}  ${seconds.toFixed(1)} s`,
            );
          }
        }
      }
    }
    return {
      config: c,
      images,
      pretrain,
      runs,
      cells: summarize(runs),
      machine: { cpus: cpus().length, loadavgStart, loadavgEnd: loadavg(), node: process.version },
      seconds: (performance.now() - started) / 1000,
      commands: commands.slice(0, 1 + METHODS.length * 2),
    };
  } finally {
    if (own) rmSync(work, { recursive: true, force: true });
  }
}

function summarize(runs: Run[]): TableResult['cells'] {
  const cells: TableResult['cells'] = [];
  for (const domain of DOMAINS) {
    for (const size of SIZES) {
      const here = runs.filter((r) => r.domain === domain && r.size === size);
      if (here.length === 0) continue;
      const methods = {} as TableResult['cells'][number]['methods'];
      for (const m of METHODS) {
        const rs = here.filter((r) => r.method === m);
        const acc = rs.map((r) => r.accuracy);
        methods[m] = {
          mean: acc.reduce((a, b) => a + b, 0) / acc.length,
          spread: (Math.max(...acc) - Math.min(...acc)) / 2,
          seconds: rs.reduce((a, r) => a + r.seconds, 0) / rs.length,
          accuracy: acc,
        };
      }
      const best = METHODS.reduce((a, b) => (methods[b].mean > methods[a].mean ? b : a));
      const trainImages =
        here.find((r) => Number.isFinite(r.trainImages))?.trainImages ?? Number.NaN;
      cells.push({ domain, size, trainImages, methods, best });
    }
  }
  return cells;
}

/** The table as Markdown: a row per cell, a column per method (mean ± half-range, seconds). */
export function formatTable(r: TableResult): string {
  const head = `| data | train images | ${METHODS.join(' | ')} | best |`;
  const rule = `| --- | ---: | ${METHODS.map(() => '---').join(' | ')} | --- |`;
  const rows = r.cells.map(
    (c) =>
      `| ${c.domain}, ${c.size} | ${c.trainImages} | ${METHODS.map((m) => {
        const v = c.methods[m];
        return `${v.mean.toFixed(3)} ± ${v.spread.toFixed(3)} (${v.seconds.toFixed(1)} s)`;
      }).join(' | ')} | ${c.best} |`,
  );
  return [head, rule, ...rows].join('\n');
}

async function cliMain(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seeds = flag('--seeds')?.split(',').map(Number);
  const out = flag('--out');
  const saved = flag('--print');
  const r: TableResult = saved
    ? JSON.parse(readFileSync(saved, 'utf8'))
    : await runTable(
        {
          ...tableConfig(quick, seeds),
          backboneLrMult: Number(flag('--backbone-lr-mult') ?? 0.1),
          ...(flag('--cells') ? { cells: flag('--cells')?.split(',') } : {}),
        },
        {
          work: flag('--work'),
          log: (s) => console.error(s),
        },
      );
  console.log(formatTable(r));
  console.log(
    `pretrained LeNet-5 on Fashion-MNIST 0-4: ${r.pretrain.accuracy.toFixed(3)} (${r.pretrain.seconds.toFixed(1)} s); total ${r.seconds.toFixed(0)} s; load average ${r.machine.loadavgStart.map((v) => v.toFixed(2)).join(' ')} → ${r.machine.loadavgEnd.map((v) => v.toFixed(2)).join(' ')} on ${r.machine.cpus} CPUs`,
  );
  if (out) writeFileSync(out, `${JSON.stringify(r, null, 2)}\n`);
}

if (process.argv[1]?.endsWith('transfer-table.ts')) {
  await cliMain(process.argv.slice(2));
}
