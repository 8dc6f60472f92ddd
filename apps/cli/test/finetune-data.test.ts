/**
 * `nerve finetune --model resnet18 --from W --images DIR`: a torchvision-named
 * ResNet-18 (weights as torchvision's state dict, with a 5-class head) is
 * finetuned on a 2-class generated image folder at 32×32. Frozen parameters
 * and frozen BatchNorm statistics stay bit-identical, unfrozen ones change,
 * the head is a new one for the folder's classes, and the saved checkpoint
 * is one nerve eval reads. A file that differs elsewhere than the head is an
 * error naming the keys.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, noGrad, randn, tidy } from '@nerve/core';
import { loadSafetensors, save, saveSafetensors } from '@nerve/layers';
import { resnet18 } from '@nerve/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { stripesFolder } from './image-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-finetune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const images = stripesFolder(join(dir, 'stripes'), 12, 11);
const pretrained = join(dir, 'resnet18-5.safetensors');

/** Every tensor of a safetensors file as plain arrays, by name. */
async function read(
  path: string,
): Promise<Map<string, { shape: number[]; data: number[]; bytes: Buffer }>> {
  const { tensors } = await loadSafetensors(path);
  const out = new Map<string, { shape: number[]; data: number[]; bytes: Buffer }>();
  for (const [k, t] of Object.entries(tensors)) {
    const v = t.dataSync() as Float32Array | Int32Array;
    // Bytes for the bit-identity checks (fast on 11 M weights); numbers for the arithmetic ones.
    const bytes = Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    out.set(k, { shape: [...t.shape], data: k === 'conv1.weight' ? Array.from(v) : [], bytes });
    t.dispose();
  }
  return out;
}

const isHead = (k: string) => k.startsWith('fc.');

/** Bit-identical tensors (both present, same bytes). */
const same = (a?: Buffer, b?: Buffer) => a !== undefined && b !== undefined && a.equals(b);

/**
 * A ResNet-18 finetuning run on 24 images at 32×32, 2 epochs, took 5.5 s
 * alone and each test 4–12 s on this 2-core machine (load ≈ 7); at load 20
 * they took up to 70 s: a generous guard, not a performance assertion.
 */
const SLOW = 240_000;

beforeAll(async () => {
  // torchvision's layout: resnet18 with another task's head (5 classes), no nerve metadata.
  // BatchNorm statistics made non-trivial by a few training-mode batches (as the
  // torchvision fixtures of @nerve/models), so "unchanged" is not "still the defaults".
  const model = resnet18({ numClasses: 5, seed: 3 });
  noGrad(() => {
    for (let i = 0; i < 3; i++) tidy(() => void model.forward(randn([4, 3, 32, 32])));
  });
  await save(model, pretrained);
  model.dispose();
}, SLOW);

/** `nerve finetune --model resnet18 --from <pretrained> --images <folder> --size 32 …rest`. */
function finetune(...rest: string[]) {
  return runCli([
    'finetune',
    '--model',
    'resnet18',
    '--from',
    pretrained,
    '--images',
    images,
    '--size',
    '32',
    ...rest,
  ]);
}

describe('nerve finetune on a folder of images', () => {
  it(
    '--freeze backbone: the backbone and its BatchNorm statistics stay bit-identical, the new head trains, eval reads the result',
    async () => {
      const out = join(dir, 'frozen.safetensors');
      const r = await finetune('--freeze', 'backbone', '--epochs', '2', '--out', out, '--json');
      expect(r.err()).not.toMatch(/nerve: /);
      expect(r.code).toBe(0);
      // The head mismatch is explained, not an error.
      expect(r.err()).toMatch(
        /head fc: \[5,512\] in .* replaced by a new \[2,512\] for the 2 classes/,
      );
      const s = r.last();
      expect(s.head).toEqual({ name: 'fc', file: [5, 512], now: [2, 512] });
      expect(s.trainable).toBe(2);
      const before = await read(pretrained);
      const after = await read(out);
      expect(after.get('fc.weight')?.shape).toEqual([2, 512]);
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      const keys = [...before.keys()].filter((k) => !isHead(k));
      // Weights, BatchNorm statistics and their batch counters (frozen BatchNorm stays in eval mode).
      for (const k of keys) expect(same(after.get(k)?.bytes, before.get(k)?.bytes), k).toBe(true);
      expect(before.get('bn1.running_mean')?.bytes.some((v) => v !== 0)).toBe(true);
      const e = await runCli(['eval', '--checkpoint', out, '--images', images, '--json']);
      expect(e.err()).not.toMatch(/nerve: /);
      expect(e.last().count).toBe(24);
      expect(Number.isFinite(e.last().testLoss)).toBe(true);
    },
    SLOW,
  );

  it(
    '--unfreeze-last 1: layer4 and the head change, the earlier stages do not',
    async () => {
      const out = join(dir, 'last.safetensors');
      const r = await finetune('--unfreeze-last', '1', '--epochs', '2', '--out', out, '--json');
      expect(r.err()).not.toMatch(/nerve: /);
      const s = r.last();
      // Discriminative learning rates: the head at --lr, layer4 at --lr × 0.1.
      expect(s.groups).toEqual([
        { name: 'fc', lr: 1e-3, params: 2 },
        { name: 'backbone', lr: 1e-3 * 0.1, params: 15 },
      ]);
      const before = await read(pretrained);
      const after = await read(out);
      const fresh = resnet18({ numClasses: 2, seed: 0 });
      const newHead = Buffer.from(
        (fresh.stateDict()['fc.weight'].dataSync() as Float32Array).buffer,
      );
      fresh.dispose();
      expect(same(after.get('fc.weight')?.bytes, newHead)).toBe(false);
      for (const [k, b] of before) {
        if (isHead(k)) continue;
        // layer4 trains: its weights, and its BatchNorms' statistics and batch counters.
        const trained = k.startsWith('layer4.');
        expect(same(after.get(k)?.bytes, b.bytes), k).toBe(!trained);
      }
    },
    SLOW,
  );

  it(
    'grayscale images: the RGB stem is summed over its channels (the gray image in all three)',
    async () => {
      const out = join(dir, 'gray.safetensors');
      const r = await finetune(
        '--grayscale',
        '--freeze',
        'backbone',
        '--epochs',
        '1',
        '--out',
        out,
        '--json',
      );
      expect(r.err()).not.toMatch(/nerve: /);
      const rgb = (await read(pretrained)).get('conv1.weight');
      const gray = (await read(out)).get('conv1.weight');
      expect(gray?.shape).toEqual([64, 1, 7, 7]);
      const plane = 49;
      const summed = (gray?.data ?? []).map((_, i) => {
        const o = Math.floor(i / plane);
        const j = i % plane;
        const w = rgb?.data ?? [];
        return w[o * 3 * plane + j] + w[(o * 3 + 1) * plane + j] + w[(o * 3 + 2) * plane + j];
      });
      // Three float32 terms: the sum's rounding differs by at most a few ulp (2^-21 relative here).
      for (let i = 0; i < summed.length; i++) {
        expect(Math.abs((gray?.data[i] ?? 0) - summed[i])).toBeLessThanOrEqual(
          1e-6 * Math.max(1, Math.abs(summed[i])),
        );
      }
    },
    SLOW,
  );

  it(
    'a file that differs elsewhere than the head is an error naming the keys',
    async () => {
      const { tensors } = await loadSafetensors(pretrained);
      const broken = join(dir, 'broken.safetensors');
      const kept: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(tensors)) if (k !== 'layer4.1.conv2.weight') kept[k] = t;
      kept['extra.weight'] = tensors['fc.bias'];
      await saveSafetensors(broken, kept);
      for (const t of Object.values(tensors)) t.dispose();
      const r = await runCli([
        'finetune',
        '--model',
        'resnet18',
        '--from',
        broken,
        '--images',
        images,
        '--size',
        '32',
        '--epochs',
        '1',
      ]);
      expect(r.code).toBe(1);
      expect(r.err()).toMatch(/missing layer4\.1\.conv2\.weight; unexpected extra\.weight/);
      const wrongNet = await runCli([
        'finetune',
        '--model',
        'resnet34',
        '--from',
        pretrained,
        '--images',
        images,
        '--epochs',
        '1',
      ]);
      expect(wrongNet.code).toBe(1);
      expect(wrongNet.err()).toMatch(/does not hold this network's backbone: missing layer1\.2\./);
    },
    SLOW,
  );

  it('usage: --from is required with a data flag; demo flags and data flags do not mix', async () => {
    const noFrom = await runCli(['finetune', '--images', images]);
    expect(noFrom.code).toBe(2);
    expect(noFrom.err()).toMatch(/--from: expected the pretrained weights/);
    const mixed = await runCli([
      'finetune',
      '--images',
      images,
      '--from',
      pretrained,
      '--shots',
      '5',
    ]);
    expect(mixed.code).toBe(2);
    expect(mixed.err()).toMatch(
      /--shots: expected without --images \(a flag of the Fashion demo\)/,
    );
    const demoLr = await runCli(['finetune', '--unfreeze-last', '2']);
    expect(demoLr.code).toBe(2);
    expect(demoLr.err()).toMatch(/--unfreeze-last: expected a data flag too/);
    const both = await runCli([
      'finetune',
      '--images',
      images,
      '--from',
      pretrained,
      '--freeze',
      'backbone',
      '--unfreeze-last',
      '1',
    ]);
    expect(both.code).toBe(2);
    expect(both.err()).toMatch(/--unfreeze-last: expected without --freeze/);
  });
});
