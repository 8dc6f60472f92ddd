/**
 * `nerve train --images DIR` and `nerve predict --images DIR`: a folder of
 * PNG and JPEG files, one subfolder per class, trains a CNN (and an MLP),
 * keeps the class names, size and standardization in the checkpoint, and
 * predicts new images prepared the same way.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { KINDS, stripes, write } from './image-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-images-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = runCli;

describe('nerve train --images / nerve predict --images', () => {
  const train = join(dir, 'stripes');
  const fresh = join(dir, 'new');
  const g = new Generator(7);
  for (const kind of KINDS) {
    mkdirSync(join(train, kind), { recursive: true });
    for (let i = 0; i < 40; i++)
      write(join(train, kind, `${i}.${i % 2 ? 'png' : 'jpg'}`), stripes(kind, g));
  }
  mkdirSync(fresh, { recursive: true });
  const truth: string[] = [];
  for (let i = 0; i < 10; i++) {
    const kind = KINDS[i % 2];
    truth.push(kind);
    write(join(fresh, `img${String(i).padStart(2, '0')}.png`), stripes(kind, g));
  }
  const model = join(dir, 'stripes.safetensors');

  it('trains a CNN on the folder and keeps the class names', async () => {
    const r = await cli([
      'train',
      '--images',
      train,
      '--size',
      '16',
      '--model',
      'cnn',
      '--epochs',
      '15',
      '--out',
      model,
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    expect(r.code).toBe(0);
    const s = r.last();
    expect(s.classNames).toEqual(['horizontal', 'vertical']);
    expect(s.model.inputShape).toEqual([3, 16, 16]);
    // 16 test images; a model that learned the orientation gets them nearly all
    // (the stripes are 2 px wide at 20 px, 1.6 px at 16: still resolved).
    expect(s.testAccuracy).toBeGreaterThanOrEqual(0.875);
  });

  it('predicts a folder of new images with class names and probabilities', async () => {
    const r = await cli(['predict', '--checkpoint', model, '--images', fresh, '--json']);
    expect(r.code).toBe(0);
    const rows = r.lines().filter((e) => e.event === 'prediction');
    expect(rows.map((row) => row.file.replace(/.*[\\/]/, ''))).toEqual(
      truth.map((_, i) => `img${String(i).padStart(2, '0')}.png`),
    );
    const right = rows.filter((row, i) => row.prediction === truth[i]).length;
    expect(right).toBeGreaterThanOrEqual(8);
    for (const row of rows) {
      const p = row.probabilities as Record<string, number>;
      expect(p.horizontal + p.vertical).toBeCloseTo(1, 5);
    }
  });

  it('refuses the wrong kind of data for a checkpoint, and a folder with another flag', async () => {
    const wrong = await cli(['predict', '--checkpoint', model, '--csv', join(dir, 'x.csv')]);
    expect(wrong.code).toBe(1);
    expect(wrong.err()).toMatch(/was trained on images \(--images\); it cannot predict --csv/);
    const both = await cli(['train', '--images', train, '--dataset', 'digits']);
    expect(both.code).toBe(2);
    expect(both.err()).toMatch(/--images: expected without --dataset/);
    const sizeAlone = await cli(['train', '--size', '16']);
    expect(sizeAlone.code).toBe(2);
    expect(sizeAlone.err()).toMatch(/--size: expected --images too/);
    const neither = await cli(['predict', '--checkpoint', model]);
    expect(neither.code).toBe(2);
    expect(neither.err()).toMatch(/one of --csv FILE or --images DIR .*received neither/);
  });

  it('augments training images with --random-crop and --flip, reproducibly, CNN on the CPU only', async () => {
    const run = () =>
      cli([
        'train',
        '--images',
        train,
        '--size',
        '16',
        '--model',
        'cnn',
        '--epochs',
        '2',
        '--random-crop',
        '2',
        '--flip',
        '--json',
      ]);
    const a = await run();
    expect(a.err()).not.toMatch(/nerve: /);
    const plain = await cli([
      'train',
      '--images',
      train,
      '--size',
      '16',
      '--model',
      'cnn',
      '--epochs',
      '2',
      '--json',
    ]);
    const b = await run();
    const losses = (r: typeof a) => r.last().history.map((h: { trainLoss: number }) => h.trainLoss);
    // The same seed draws the same crops; without them training sees other pixels.
    expect(losses(b)).toEqual(losses(a));
    expect(losses(plain)).not.toEqual(losses(a));
    const mlp = await cli(['train', '--images', train, '--flip']);
    expect(mlp.code).toBe(2);
    expect(mlp.err()).toMatch(/--flip: expected --model cnn/);
    const gpu = await cli([
      'train',
      '--images',
      train,
      '--model',
      'cnn',
      '--random-crop',
      '4',
      '--backend',
      'webgpu',
    ]);
    expect(gpu.code).toBe(2);
    expect(gpu.err()).toMatch(/--random-crop: expected --backend cpu/);
  });

  it('tunes a CNN on the folder (nerve tune --images), on worker threads', async () => {
    const r = await cli([
      'tune',
      '--images',
      train,
      '--size',
      '12',
      '--model',
      'cnn',
      '--trials',
      '2',
      '--epochs',
      '2',
      '--workers',
      '2',
      '--json',
    ]);
    expect(r.err()).toMatch(/search on .*stripes \(CNN\)/);
    expect(r.code).toBe(0);
    for (const t of r.last().trials) {
      expect(t.status).toBe('completed');
      expect(t.history).toHaveLength(2);
    }
  });

  it('trains an MLP on grayscale images, standardized per pixel', async () => {
    const r = await cli([
      'train',
      '--images',
      train,
      '--size',
      '8',
      '--grayscale',
      '--epochs',
      '2',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.last().model.inputShape).toEqual([64]);
  });
});
