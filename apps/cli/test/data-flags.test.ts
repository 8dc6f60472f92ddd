/**
 * Every command takes the data and model flags of `nerve train` (issue 14):
 * `nerve lr-find` sweeps on a table or a folder of images with the network
 * the architecture flags describe, and names the `nerve train` command that
 * reproduces it; `nerve eval` scores labelled rows or images of the user's
 * own with the checkpoint's preparation, agreeing with `nerve predict`.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../src/args.js';
import { runCli } from './helpers.js';
import { KINDS, stripesFolder } from './image-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-data-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two classes of points around (±2, ±2) with unit noise and a text column: separable, not trivially. */
function table(path: string, rows: number, seed: number) {
  const g = new Generator(seed);
  const lines = ['x;y;shade;kind'];
  for (let i = 0; i < rows; i++) {
    const k = i % 2;
    const [nx, ny] = g.normal(2);
    const shade = ['light', 'dark'][Math.floor(g.uniform(1)[0] * 2)];
    lines.push(`${(k ? 2 : -2) + nx};${(k ? 2 : -2) + ny};${shade};${k ? 'up' : 'down'}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const images = stripesFolder(join(dir, 'stripes'), 20, 3);
const heldOut = stripesFolder(join(dir, 'held-out'), 6, 4);
const csv = join(dir, 'points.csv');
table(csv, 80, 5);

describe('nerve lr-find takes the data and architecture flags of nerve train', () => {
  it('sweeps a CNN on a folder of images and prints the train command that reproduces it', async () => {
    const r = await runCli([
      'lr-find',
      '--images',
      images,
      '--size',
      '12',
      '--grayscale',
      '--model',
      'cnn',
      '--batchnorm',
      '--activation',
      'tanh',
      '--steps',
      '20',
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    expect(r.code).toBe(0);
    const s = r.last();
    expect(s.lrs).toHaveLength(s.losses.length);
    // The printed command parses back to the same data and network.
    const t = parseTrainArgs(
      s.command
        .split(' ')
        .slice(3)
        .map((a: string) => a.replace(/^"|"$/g, '')),
    );
    expect(t.images).toMatchObject({ dir: images, size: 12, channels: 1 });
    expect(t).toMatchObject({ model: 'cnn', batchnorm: true, activation: 'tanh' });
  });

  it('builds the MLP that --hidden and --dropout describe', async () => {
    const r = await runCli([
      'lr-find',
      '--csv',
      csv,
      '--label',
      'kind',
      '--hidden',
      '8,4',
      '--dropout',
      '0.1',
      '--init',
      'he',
      '--steps',
      '20',
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    const t = parseTrainArgs(
      r
        .last()
        .command.split(' ')
        .slice(3)
        .map((a: string) => a.replace(/^"|"$/g, '')),
    );
    expect(t).toMatchObject({ hidden: [8, 4], dropout: 0.1, init: 'he' });
    expect(t.table).toMatchObject({ path: csv, label: 'kind' });
  });

  it('refuses what nerve train refuses', async () => {
    const cnnTable = await runCli(['lr-find', '--csv', csv, '--label', 'kind', '--model', 'cnn']);
    expect(cnnTable.code).toBe(2);
    expect(cnnTable.err()).toMatch(/--csv: expected --model mlp/);
    const both = await runCli(['lr-find', '--images', images, '--dataset', 'digits']);
    expect(both.code).toBe(2);
    expect(both.err()).toMatch(/--images: expected without --dataset/);
    const cnnHidden = await runCli(['lr-find', '--model', 'cnn', '--hidden', '8']);
    expect(cnnHidden.code).toBe(2);
    expect(cnnHidden.err()).toMatch(/--hidden: expected --model mlp/);
    expect(cnnHidden.err()).toMatch(/nerve lr-find --help/);
  });
});

describe('nerve eval scores data of your own with the checkpoint’s preparation', () => {
  it('an image folder: the accuracy nerve predict’s answers give', async () => {
    const model = join(dir, 'stripes.safetensors');
    const train = await runCli([
      'train',
      '--images',
      images,
      '--size',
      '12',
      '--model',
      'cnn',
      '--epochs',
      '6',
      '--out',
      model,
      '--json',
    ]);
    expect(train.err()).not.toMatch(/nerve: /);
    const e = await runCli(['eval', '--checkpoint', model, '--images', heldOut, '--json']);
    expect(e.err()).not.toMatch(/nerve: /);
    expect(e.code).toBe(0);
    const s = e.last();
    expect(s.count).toBe(12);
    expect(Number.isFinite(s.testLoss)).toBe(true);
    // nerve predict on each class's subfolder: its right answers over all images.
    let right = 0;
    for (const kind of KINDS) {
      const p = await runCli([
        'predict',
        '--checkpoint',
        model,
        '--images',
        join(heldOut, kind),
        '--json',
      ]);
      right += p
        .lines()
        .filter((row) => row.event === 'prediction' && row.prediction === kind).length;
    }
    expect(s.testAccuracy).toBeCloseTo(right / 12, 10);
    const text = await runCli(['eval', '--checkpoint', model, '--images', heldOut]);
    expect(text.out()).toMatch(/test accuracy [\d.]+% {2}test loss [\d.]+ {2}\(12 examples in /);
  });

  it('a table: the accuracy nerve predict prints for the same labelled rows', async () => {
    const model = join(dir, 'points.safetensors');
    const train = await runCli([
      'train',
      '--csv',
      csv,
      '--label',
      'kind',
      '--epochs',
      '5',
      '--out',
      model,
    ]);
    expect(train.err()).not.toMatch(/nerve: /);
    const e = await runCli(['eval', '--checkpoint', model, '--csv', csv, '--json']);
    expect(e.err()).not.toMatch(/nerve: /);
    const s = e.last();
    expect(s.count).toBe(80);
    const p = await runCli(['predict', '--checkpoint', model, '--csv', csv, '--json']);
    expect(s.testAccuracy).toBeCloseTo(p.last().accuracy, 10);
  });

  it('refuses the wrong kind of data, unknown classes and two sources', async () => {
    const model = join(dir, 'points.safetensors');
    const wrong = await runCli(['eval', '--checkpoint', model, '--images', heldOut]);
    expect(wrong.code).toBe(1);
    expect(wrong.err()).toMatch(/was trained on a table \(--csv\); it cannot score --images/);
    const two = await runCli(['eval', '--checkpoint', model, '--csv', csv, '--dataset', 'digits']);
    expect(two.code).toBe(2);
    expect(two.err()).toMatch(/--csv: expected without --dataset/);
    // A folder whose 'vertical' class is called 'diagonal'.
    const mixed = stripesFolder(join(dir, 'mixed'), 1, 8);
    renameSync(join(mixed, 'vertical'), join(mixed, 'diagonal'));
    const img = join(dir, 'stripes.safetensors');
    const unknown = await runCli(['eval', '--checkpoint', img, '--images', mixed]);
    expect(unknown.code).toBe(1);
    expect(unknown.err()).toMatch(/has classes the checkpoint does not know: diagonal/);
  });
});

describe('--model takes the networks of @nerve/models', () => {
  it('trains vgg_small on grayscale images (built with one input channel); eval rebuilds it from the checkpoint', async () => {
    const model = join(dir, 'vgg.safetensors');
    const r = await runCli([
      'train',
      '--images',
      images,
      '--size',
      '16',
      '--grayscale',
      '--model',
      'vgg_small',
      '--epochs',
      '1',
      '--out',
      model,
      '--json',
    ]);
    expect(r.err()).not.toMatch(/nerve: /);
    expect(r.last().model).toMatchObject({
      kind: 'vgg_small',
      inputShape: [1, 16, 16],
      classes: 2,
    });
    const e = await runCli(['eval', '--checkpoint', model, '--images', heldOut, '--json']);
    expect(e.err()).not.toMatch(/nerve: /);
    expect(e.last().count).toBe(12);
  });

  it('refuses architecture flags with them (their layers are fixed)', async () => {
    const r = await runCli(['train', '--model', 'resnet18', '--activation', 'tanh']);
    expect(r.code).toBe(2);
    expect(r.err()).toMatch(
      /--activation: expected --model mlp or cnn \(resnet18 has torchvision's layers\)/,
    );
  });
});
