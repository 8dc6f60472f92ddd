/**
 * `--model mobilenet_v2` and `--model lenet5` through every command that
 * trains or reads a network: train, eval, predict and finetune on a small
 * generated image folder at 16×16 (quick), as the resnet18 tests do at 32×32.
 * A grayscale mobilenet_v2 gets its nested stem (`features.0.0`) rebuilt
 * with one input channel, and a lenet5 (or vgg_small) given images smaller
 * than it can take fails before training with the model, the size it needs
 * and the size received.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, randn, tidy } from '@nerve/core';
import { loadSafetensors, save } from '@nerve/layers';
import { type ImageClassifier, lenet5, mobilenetV2 } from '@nerve/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { KINDS, stripesFolder } from './image-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-zoo-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images = stripesFolder(join(dir, 'stripes'), 12, 21);
const heldOut = stripesFolder(join(dir, 'held-out'), 4, 22);

/**
 * A MobileNetV2 run of one epoch on 24 images at 16×16 took about 10 s on this
 * 2-core machine under load ≈ 8 (ResNet-18's tests: 4–12 s, up to 70 s at load
 * 20): a generous guard, not a performance assertion.
 */
const SLOW = 240_000;

/** Every tensor of a safetensors file as its bytes, by name (for bit-identity checks). */
async function bytesOf(path: string): Promise<Map<string, { shape: number[]; bytes: Buffer }>> {
  const { tensors } = await loadSafetensors(path);
  const out = new Map<string, { shape: number[]; bytes: Buffer }>();
  for (const [k, t] of Object.entries(tensors)) {
    const v = t.dataSync() as Float32Array | Int32Array;
    out.set(k, {
      shape: [...t.shape],
      bytes: Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)),
    });
    t.dispose();
  }
  return out;
}

const cases: {
  name: 'mobilenet_v2' | 'lenet5';
  /** The network as pretrained weights hold it: another task's head (5 classes), RGB, 16×16. */
  pretrained: () => ImageClassifier;
  head: string;
  features: number;
}[] = [
  {
    name: 'mobilenet_v2',
    pretrained: () => mobilenetV2({ numClasses: 5, seed: 3 }),
    head: 'classifier.1',
    features: 1280,
  },
  {
    name: 'lenet5',
    pretrained: () => lenet5({ numClasses: 5, seed: 3, inChannels: 3, inputSize: 16 }),
    head: 'classifier.4',
    features: 84,
  },
];

describe.each(cases)('--model $name', ({ name, pretrained, head, features }) => {
  const ckpt = join(dir, `${name}.safetensors`);
  const weights = join(dir, `${name}-pretrained.safetensors`);

  beforeAll(async () => {
    const model = pretrained();
    // Non-trivial BatchNorm statistics (MobileNetV2's), so "unchanged" is not "the defaults".
    noGrad(() => {
      for (let i = 0; i < 2; i++) tidy(() => void model.forward(randn([4, 3, 16, 16])));
    });
    await save(model, weights);
    model.dispose();
  }, SLOW);

  it(
    'train, then eval and predict read the checkpoint; eval’s accuracy is predict’s right answers',
    async () => {
      const t = await runCli([
        'train',
        '--images',
        images,
        '--size',
        '16',
        '--model',
        name,
        '--epochs',
        '1',
        '--out',
        ckpt,
        '--json',
      ]);
      expect(t.err()).not.toMatch(/nerve: /);
      expect(t.code).toBe(0);
      expect(t.last().model).toMatchObject({ kind: name, inputShape: [3, 16, 16], classes: 2 });
      expect(Number.isFinite(t.last().history[0].trainLoss)).toBe(true);
      const e = await runCli(['eval', '--checkpoint', ckpt, '--images', heldOut, '--json']);
      expect(e.err()).not.toMatch(/nerve: /);
      expect(e.code).toBe(0);
      expect(e.last().count).toBe(8);
      let right = 0;
      for (const kind of KINDS) {
        const p = await runCli([
          'predict',
          '--checkpoint',
          ckpt,
          '--images',
          join(heldOut, kind),
          '--json',
        ]);
        expect(p.code).toBe(0);
        const rows = p.lines().filter((row) => row.event === 'prediction');
        expect(rows).toHaveLength(4);
        for (const row of rows) {
          const probs = row.probabilities as Record<string, number>;
          // Softmax outputs in float32: they sum to 1 within a few ulp.
          expect(Math.abs(probs.horizontal + probs.vertical - 1)).toBeLessThan(1e-6);
        }
        right += rows.filter((row) => row.prediction === kind).length;
      }
      // The same network on the same prepared images: the same answers, counted two ways.
      expect(e.last().testAccuracy).toBeCloseTo(right / 8, 10);
    },
    SLOW,
  );

  it(
    'finetune --freeze backbone: the backbone stays bit-identical, a new head for 2 classes trains',
    async () => {
      const out = join(dir, `${name}-ft.safetensors`);
      const r = await runCli([
        'finetune',
        '--model',
        name,
        '--from',
        weights,
        '--images',
        images,
        '--size',
        '16',
        '--freeze',
        'backbone',
        '--epochs',
        '1',
        '--out',
        out,
        '--json',
      ]);
      expect(r.err()).not.toMatch(/nerve: /);
      expect(r.code).toBe(0);
      expect(r.last().head).toEqual({ name: head, file: [5, features], now: [2, features] });
      expect(r.last().trainable).toBe(2);
      const before = await bytesOf(weights);
      const after = await bytesOf(out);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      expect(after.get(`${head}.weight`)?.shape).toEqual([2, features]);
      for (const [k, b] of before) {
        if (k.startsWith(`${head}.`)) continue;
        expect(after.get(k)?.bytes.equals(b.bytes), k).toBe(true);
      }
      const e = await runCli(['eval', '--checkpoint', out, '--images', heldOut, '--json']);
      expect(e.err()).not.toMatch(/nerve: /);
      expect(e.last().count).toBe(8);
    },
    SLOW,
  );
});

describe('zoo networks and the input they take', () => {
  it(
    'a grayscale mobilenet_v2 has its nested stem features.0.0 rebuilt with one channel, and trains',
    async () => {
      const out = join(dir, 'mobilenet-gray.safetensors');
      const r = await runCli([
        'train',
        '--images',
        images,
        '--size',
        '16',
        '--grayscale',
        '--model',
        'mobilenet_v2',
        '--epochs',
        '1',
        '--out',
        out,
        '--json',
      ]);
      expect(r.err()).not.toMatch(/nerve: /);
      expect(r.code).toBe(0);
      const saved = await bytesOf(out);
      expect(saved.get('features.0.0.weight')?.shape).toEqual([32, 1, 3, 3]);
      const e = await runCli(['eval', '--checkpoint', out, '--images', heldOut, '--json']);
      expect(e.err()).not.toMatch(/nerve: /);
      expect(e.last().count).toBe(8);
    },
    SLOW,
  );

  it('lenet5 on images smaller than 12×12 fails before training, naming the sizes', async () => {
    const small = await runCli([
      'train',
      '--images',
      images,
      '--size',
      '10',
      '--model',
      'lenet5',
      '--json',
    ]);
    expect(small.code).toBe(1);
    const msg =
      /lenet5: expected images of at least 12×12 \(two 5×5 convolutions and two 2×2 poolings\), received 10×10/;
    expect(small.all()).toMatch(msg);
    // Nothing trained: no epoch was reported.
    expect(small.out()).not.toMatch(/"event":"epoch"/);
    // The built-in digits are 8×8.
    const digits = await runCli(['train', '--dataset', 'digits', '--model', 'lenet5']);
    expect(digits.code).toBe(1);
    expect(digits.err()).toMatch(/lenet5: expected images of at least 12×12 .*received 8×8/);
    const ft = await runCli([
      'finetune',
      '--model',
      'lenet5',
      '--from',
      join(dir, 'lenet5-pretrained.safetensors'),
      '--images',
      images,
      '--size',
      '11',
    ]);
    expect(ft.code).toBe(1);
    expect(ft.err()).toMatch(/lenet5: expected images of at least 12×12 .*received 11×11/);
    // nerve tune checks once, before any trial (each would fail alike).
    const tune = await runCli(['tune', '--model', 'lenet5', '--trials', '2', '--epochs', '1']);
    expect(tune.code).toBe(1);
    expect(tune.err()).toMatch(/lenet5: expected images of at least 12×12 .*received 8×8/);
    expect(tune.all()).not.toMatch(/trial +0/);
    const vgg = await runCli(['train', '--images', images, '--size', '6', '--model', 'vgg_small']);
    expect(vgg.code).toBe(1);
    expect(vgg.err()).toMatch(
      /vgg_small: expected images of at least 8×8 \(three 2×2 max poolings\), received 6×6/,
    );
  });

  it('nerve tune searches a zoo network (its widths fixed, not searched)', async () => {
    const r = await runCli([
      'tune',
      '--images',
      images,
      '--size',
      '12',
      '--model',
      'lenet5',
      '--trials',
      '1',
      '--epochs',
      '1',
      '--workers',
      '1',
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    expect(r.code).toBe(0);
    expect(r.err()).toMatch(/search on .*stripes \(lenet5, @nerve\/models\)/);
    const [trial] = r.last().trials;
    expect(trial.status).toBe('completed');
    expect(Object.keys(trial.config)).not.toContain('hidden');
    const hidden = await runCli(['tune', '--model', 'lenet5', '--hidden', '8:64']);
    expect(hidden.code).toBe(2);
    expect(hidden.err()).toMatch(
      /--hidden: expected --model mlp \(a lenet5 keeps its own widths\), received --model lenet5/,
    );
  });

  it('lenet5 takes sizes other than 28 (its first Linear layer sized for them)', async () => {
    const out = join(dir, 'lenet5-12.safetensors');
    const r = await runCli([
      'train',
      '--images',
      images,
      '--size',
      '12',
      '--model',
      'lenet5',
      '--epochs',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    expect(r.code).toBe(0);
    expect(r.last().model.inputShape).toEqual([3, 12, 12]);
    // 12 → C1 12 → S2 6 → C3 2 → S4 1: 16 · 1 · 1 features, so C5 is Linear(16 → 120).
    expect((await bytesOf(out)).get('classifier.0.weight')?.shape).toEqual([120, 16]);
  });
});
