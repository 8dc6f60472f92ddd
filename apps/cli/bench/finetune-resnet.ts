/**
 * `nerve finetune --model resnet18 --from W.safetensors --images DIR --size 224`
 * at real size, timed as a user runs it: one process per mode (head only,
 * `--unfreeze-last 1`, everything), its peak RSS from `/usr/bin/time -v`,
 * and the time of a training step from the CLI's own log lines,
 * timestamped as they arrive: from the line that starts training to the
 * end of the first epoch, divided by the epoch's steps (the epoch's short
 * validation pass is included, so this slightly overstates a step).
 *
 * The weights are torchvision's ResNet-18 layout with random weights
 * (torchvision's pretrained ones cannot be downloaded here), written by
 * packages/models/scripts/torchvision_to_safetensors.py with Debian's
 * python3-torchvision. The folder is 2 classes × 32 PNGs of 256×256 RGB
 * stripes (horizontal or vertical), generated.
 *
 *   npx tsx --conditions=@nerve/source apps/cli/bench/finetune-resnet.ts [--per-class 32] [--batch-size 8] [--size 224] [--out F.json] [--modes head,last1,all]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator } from '@nerve/core';
import { PNG } from 'pngjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const MODES = { head: ['--freeze', 'backbone'], last1: ['--unfreeze-last', '1'], all: [] } as const;
type Mode = keyof typeof MODES;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A side×side RGB image of stripes 8 pixels wide with a random phase, colour and noise. */
function stripes(vertical: boolean, side: number, g: Generator): Buffer {
  const [phase, hue, ...noise] = g.uniform(2 + side * side);
  const png = new PNG({ width: side, height: side });
  const base = [60 + 150 * hue, 200 - 150 * hue, 120];
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const on = Math.floor(((vertical ? x : y) + phase * 16) / 8) % 2 === 0;
      const n = (noise[y * side + x] - 0.5) * 60;
      for (let c = 0; c < 3; c++) {
        const v = on ? base[c] : 255 - base[c];
        png.data[(y * side + x) * 4 + c] = Math.max(0, Math.min(255, v + n));
      }
      png.data[(y * side + x) * 4 + 3] = 255;
    }
  return PNG.sync.write(png);
}

interface ModeResult {
  mode: Mode;
  flags: string[];
  /** Training steps in the first epoch and the seconds per step. */
  steps: number;
  secondsPerStep: number;
  /** The whole command, start to exit. */
  wallSeconds: number;
  peakRssMiB: number;
  trainable: string;
  testAccuracy: number;
}

/** Runs one mode in its own process; its timestamped log gives the step time. */
function runMode(
  mode: Mode,
  weights: string,
  dir: string,
  batch: number,
  size: number,
): Promise<ModeResult> {
  const args = [
    '-v',
    process.execPath,
    '--conditions=@nerve/source',
    '--import',
    'tsx',
    join(root, 'apps/cli/src/main.ts'),
    'finetune',
    '--model',
    'resnet18',
    '--from',
    weights,
    '--images',
    dir,
    '--size',
    String(size),
    '--epochs',
    '1',
    '--batch-size',
    String(batch),
    ...MODES[mode],
  ];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: { t: number; s: string }[] = [];
    let err = '';
    let buffer = '';
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const s of parts) lines.push({ t: performance.now(), s });
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      if (code !== 0) {
        reject(new Error(`${mode}: exited ${code}\n${err}\n${lines.map((l) => l.s).join('\n')}`));
        return;
      }
      const start = lines.find((l) => l.s.startsWith('nerve finetune:'));
      const epoch = lines.find((l) => l.s.startsWith('epoch 1/1'));
      const test = lines.find((l) => l.s.startsWith('test accuracy'));
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      const split = /\((\d+) train \//.exec(start?.s ?? '');
      if (!start || !epoch || !rss || !split || !test) {
        reject(
          new Error(`${mode}: unexpected output\n${lines.map((l) => l.s).join('\n')}\n${err}`),
        );
        return;
      }
      const trainImages = Number(split[1]);
      const steps = Math.ceil(trainImages / batch);
      resolve({
        mode,
        flags: [...MODES[mode]],
        steps,
        secondsPerStep: (epoch.t - start.t) / 1000 / steps,
        wallSeconds: wall,
        peakRssMiB: Number(rss[1]) / 1024,
        trainable: /(\d+ of \d+ parameter tensors train)/.exec(start.s)?.[1] ?? '',
        testAccuracy: Number(/test accuracy ([\d.]+)%/.exec(test.s)?.[1]) / 100,
      });
    });
  });
}

async function cliMain(argv: string[]): Promise<void> {
  const perClass = Number(flag(argv, '--per-class') ?? 32);
  const batch = Number(flag(argv, '--batch-size') ?? 8);
  // --size 32 only to check the script quickly; the measurement is at 224.
  const size = Number(flag(argv, '--size') ?? 224);
  const modes = (flag(argv, '--modes') ?? 'head,last1,all').split(',') as Mode[];
  const work = mkdtempSync(join(tmpdir(), 'nerve-finetune-resnet-'));
  try {
    const weights = join(work, 'resnet18.safetensors');
    // Random weights in torchvision's layout (no internet: no ImageNet weights here).
    const py = spawnSync(
      '/usr/bin/python3',
      [join(root, 'packages/models/scripts/torchvision_to_safetensors.py'), 'resnet18', weights],
      { encoding: 'utf8' },
    );
    if (py.status !== 0) throw new Error(`torchvision_to_safetensors.py: ${py.stderr}`);
    const dir = join(work, 'photos');
    const g = new Generator(0);
    for (const kind of ['horizontal', 'vertical']) {
      mkdirSync(join(dir, kind), { recursive: true });
      for (let i = 0; i < perClass; i++)
        writeFileSync(join(dir, kind, `${i}.png`), stripes(kind === 'vertical', 256, g));
    }
    const results: ModeResult[] = [];
    const loadStart = loadavg();
    for (const mode of modes) {
      const r = await runMode(mode, weights, dir, batch, size);
      console.error(
        `${mode}: ${r.secondsPerStep.toFixed(2)} s/step (${r.steps} steps of ${batch}), whole command ${r.wallSeconds.toFixed(1)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, ${r.trainable}; load ${loadavg()
          .map((v) => v.toFixed(2))
          .join(' ')}`,
      );
      results.push(r);
    }
    const out = {
      perClass,
      batch,
      size,
      weights: `torchvision ${readFileSync(weights).length} bytes, random (torchvision_to_safetensors.py resnet18)`,
      results,
      machine: {
        cpus: cpus().length,
        loadavgStart: loadStart,
        loadavgEnd: loadavg(),
        node: process.version,
      },
    };
    console.log(JSON.stringify(out, null, 2));
    const file = flag(argv, '--out');
    if (file) writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await cliMain(process.argv.slice(2));
