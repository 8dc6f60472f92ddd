/**
 * The `nerve` command, run in-process: flags, exit codes, JSON output, the
 * accuracy the defaults reach on the built-in digits, and checkpoints.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { capture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flags', () => {
  it.each([
    [['train', '--epochs', '0'], /--epochs: expected an integer in \[1, 10000\], received '0'/],
    [['train', '--lr', 'fast'], /--lr: expected a number > 0 and ≤ 10, received 'fast'/],
    [
      ['train', '--batch-size=-3'],
      /--batch-size: expected an integer in \[1, 65536\], received '-3'/,
    ],
    [['train', '--batch-size', '0'], /--batch-size: expected an integer/],
    [['train', '--epochs', '2.5'], /--epochs: expected an integer/],
    [
      ['train', '--model', 'transformer'],
      /--model: expected one of mlp, cnn, resnet18, resnet34, mobilenet_v2, vgg_small, lenet5, received 'transformer'/,
    ],
    [['train', '--wat'], /unknown option '--wat'/],
    [['train', '--out', 'model.bin'], /--out: expected a path ending in .safetensors/],
    [['train', '--backend', 'tpu'], /--backend: expected one of cpu, webgpu, received 'tpu'/],
    [['train', '--threads', '0'], /--threads: expected an integer in \[1, 240\], received '0'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['eval'], /--checkpoint: expected a path/],
  ])('%j exits with 2 and says why', async (argv, message) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
    // A hint at the command's help, not the whole usage text.
    expect(c.err()).toMatch(/usage: nerve \S+ \[flags\]; run 'nerve (\S+ )?--help'/);
    expect(c.err()).not.toMatch(/^commands:/m);
  });
});

describe('nerve train on the built-in digits', () => {
  it('trains an MLP to at least 97% test accuracy and streams JSON Lines under --json', async () => {
    const c = capture();
    const out = join(dir, 'mlp.safetensors');
    expect(await main(['train', '--json', '--seed', '0', '--out', out], c.io)).toBe(0);
    const lines = c.lines();
    const r = c.last();
    // One event per epoch, then the summary as the last line.
    expect(lines).toHaveLength(r.epochs + 1);
    expect(
      lines.slice(0, -1).map((l: { event: string; epoch: number }) => [l.event, l.epoch]),
    ).toEqual(r.history.map((h: { epoch: number }) => ['epoch', h.epoch]));
    expect(lines[0]).toMatchObject({ epochs: 40, trainLoss: r.history[0].trainLoss });
    expect(r.event).toBe('summary');
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(typeof r.testLoss).toBe('number');
    expect(r.epochs).toBe(r.history.length);
    expect(r.history[0]).toHaveProperty('trainLoss');
    expect(r.history[0]).toHaveProperty('valAccuracy');
    // Progress went to stderr, so stdout parsed as a single JSON document.
    expect(c.err()).toMatch(/epoch +1\/40/);

    const e = capture();
    expect(await main(['eval', '--checkpoint', out, '--json'], e.io)).toBe(0);
    expect(e.last().testAccuracy).toBeCloseTo(r.testAccuracy, 6);
  });

  it('trains a small CNN to at least 98% test accuracy', async () => {
    const c = capture();
    expect(await main(['train', '--model', 'cnn', '--json', '--seed', '0'], c.io)).toBe(0);
    expect(c.last().testAccuracy).toBeGreaterThanOrEqual(0.98);
  });

  it('prints per-epoch lines, a diagnosis and the test accuracy without --json', async () => {
    const c = capture();
    expect(await main(['train', '--epochs', '2'], c.io)).toBe(0);
    expect(c.out()).toMatch(/epoch 1\/2 +train loss .*val loss/);
    expect(c.out()).toMatch(/diagnosis/);
    expect(c.out()).toMatch(/test accuracy \d+\.\d+%/);
  });

  it('stops with a reason when the loss diverges', async () => {
    const c = capture();
    expect(
      await main(['train', '--optimizer', 'sgd', '--lr', '10', '--epochs', '5', '--json'], c.io),
    ).toBe(0);
    const r = c.last();
    const finding = [r.stopReason ?? '', ...r.diagnosis.map((d: { code: string }) => d.code)].join(
      ' ',
    );
    expect(finding).toMatch(/loss became|loss-nan|loss-exploding/);
  });

  it('reports a checkpoint it cannot read with exit code 1 (a runtime error)', async () => {
    const c = capture();
    const out = join(dir, 'small.safetensors');
    expect(await main(['train', '--epochs', '1', '--out', out, '--json'], c.io)).toBe(0);
    // A checkpoint saved for an MLP cannot be loaded into a CNN description: eval reports it.
    const e = capture();
    expect(await main(['eval', '--checkpoint', join(dir, 'missing.safetensors')], e.io)).toBe(1);
    expect(e.err()).toMatch(/cannot read/);
  });
});

// Whether a WebGPU adapter exists here (lavapipe in CI); the backend package says.
const { probe } = await import('@nerve/backend-webgpu');
const gpu = await probe();
if (!gpu) console.warn('apps/cli: --backend webgpu test skipped: no WebGPU adapter here');

describe.runIf(gpu)('nerve train --backend webgpu', () => {
  it('trains the digits MLP on webgpu to the same test accuracy as on cpu, from the same seed', async () => {
    const runs: Record<string, { testAccuracy: number; history: { trainLoss: number }[] }> = {};
    for (const backend of ['cpu', 'webgpu']) {
      const c = capture();
      const argv = ['train', '--json', '--epochs', '3', '--backend', backend];
      expect(await main(argv, c.io), c.err()).toBe(0);
      runs[backend] = c.last();
      expect(c.err()).toMatch(new RegExp(`on ${backend} \\(`));
    }
    // Same seed, same data, same initial weights: the two agree to float32 rounding.
    expect(Math.abs(runs.webgpu.testAccuracy - runs.cpu.testAccuracy)).toBeLessThanOrEqual(1 / 360);
    expect(runs.webgpu.testAccuracy).toBeGreaterThan(0.9);
    const first = (r: (typeof runs)[string]) => r.history[0].trainLoss;
    expect(Math.abs(first(runs.webgpu) - first(runs.cpu))).toBeLessThan(1e-3 * first(runs.cpu));
  });
});

describe('nerve tune and nerve lr-find', () => {
  it('runs a small random search, writes the study file and resumes it', async () => {
    const study = join(dir, 'study.jsonl');
    const c = capture();
    expect(
      await main(['tune', '--trials', '3', '--epochs', '2', '--study', study, '--json'], c.io),
    ).toBe(0);
    const r = c.last();
    expect(r.trials).toHaveLength(3);
    // One JSON line per finished trial before the summary.
    expect(c.lines().slice(0, -1)).toEqual(r.trials.map((t: object) => ({ event: 'trial', ...t })));
    expect(r.best.config).toHaveProperty('lr');
    const again = capture();
    expect(
      await main(['tune', '--trials', '4', '--epochs', '2', '--study', study, '--json'], again.io),
    ).toBe(0);
    const r2 = again.last();
    expect(r2.trials).toHaveLength(4);
    // The first three trials were read back, not re-run: identical records.
    expect(r2.trials.slice(0, 3)).toEqual(r.trials);
    expect(again.err()).toMatch(/trial +3 /);
    expect(again.err()).not.toMatch(/trial +0 /);
  });

  it('grid search prints and runs its whole grid, sized by --grid-steps', async () => {
    const spaceFile = join(dir, 'lr-space.json');
    writeFileSync(spaceFile, JSON.stringify({ lr: { type: 'logUniform', low: 1e-3, high: 1e-2 } }));
    const c = capture();
    const argv = ['tune', '--search', 'grid', '--grid-steps', '2', '--space', spaceFile];
    expect(await main([...argv, '--epochs', '1', '--json'], c.io)).toBe(0);
    expect(c.err()).toMatch(
      /grid search on digits \(MLP, 1 hidden layer\), 2 trials \(the full grid, 2 steps/,
    );
    expect(c.last().trials).toHaveLength(2);
  });

  it.each([
    [
      ['tune', '--search', 'grid', '--trials', '9'],
      /--trials: grid search runs every point of its grid, here 54 \(3 steps per numeric parameter\), not 9; set the grid with --grid-steps/,
    ],
    [['tune', '--grid-steps', '4'], /--grid-steps: only with --search grid/],
  ])('%j is refused: a grid runs all its points', async (argv, message) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });

  it.each([
    [
      ['tune', '--lr', '0.1:0.01'],
      /--lr: expected a range low:high with low < high, received '0.1:0.01'/,
    ],
    [['tune', '--search', 'bayes'], /--search: expected one of random, grid, coarse-to-fine/],
    [['tune', '--workers', '0'], /--workers: expected an integer in \[1, 64\]/],
    [['lr-find', '--start-lr', '1', '--end-lr', '0.1'], /--start-lr: expected less than --end-lr/],
  ])('%j exits with 2', async (argv, message) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });

  it('lr-find suggests a learning rate inside the swept range', async () => {
    const c = capture();
    expect(await main(['lr-find', '--steps', '60', '--json'], c.io)).toBe(0);
    const r = c.last();
    expect(r.suggestion).toBeGreaterThan(1e-6);
    expect(r.suggestion).toBeLessThan(10);
    expect(r.lrs.length).toBeGreaterThan(10);
  });
});

describe('nerve finetune', () => {
  it.each([
    [['finetune', '--freeze', 'head'], /--freeze: expected one of backbone, none, received 'head'/],
    [['finetune', '--new-classes', '0-4'], /--new-classes: expected 5-9/],
    [['finetune', '--seeds', '1,1'], /--seeds: expected distinct non-negative integers/],
    [['finetune', '--from', 'model.pt'], /--from: expected a path ending in .safetensors/],
  ])('%j exits with 2', async (argv, message) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });

  const pretrained = join(import.meta.dirname, 'fixtures', 'fmnist_cnn_classes0-4.safetensors');
  it.runIf(existsSync('/usr/share/datasets/fashion-mnist'))(
    'finetunes the pretrained CNN with a frozen backbone and beats scratch on one seed',
    async () => {
      const c = capture();
      const argv = [
        'finetune',
        '--from',
        pretrained,
        '--freeze',
        'backbone',
        '--seeds',
        '1',
        '--json',
      ];
      expect(await main(argv, c.io)).toBe(0);
      const r = c.last();
      expect(r.accuracy.frozen[0]).toBeGreaterThan(r.accuracy.scratch[0]);
      // --freeze backbone runs and logs only the frozen method beside scratch.
      expect(r.accuracy.finetune).toEqual([]);
      // One JSON line per seed before the summary.
      expect(c.lines()[0]).toEqual({
        event: 'seed',
        seed: 1,
        accuracy: { scratch: r.accuracy.scratch[0], frozen: r.accuracy.frozen[0] },
      });
      expect(c.err()).toMatch(/seed 1: scratch [\d.]+, frozen [\d.]+\n/);
      expect(c.err()).not.toMatch(/finetune \d/);
    },
  );
});
