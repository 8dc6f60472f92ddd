/**
 * The `nerve` command, run in-process: flags, exit codes, JSON output, the
 * accuracy the defaults reach on the built-in digits, and checkpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (s: string) => out.push(s), isTTY: false },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'nerve-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flags', () => {
  it.each([
    [['train', '--epochs', '0'], /--epochs: expected an integer in \[1, 10000\], received '0'/],
    [['train', '--lr', 'fast'], /--lr: expected a number in/],
    [
      ['train', '--batch-size=-3'],
      /--batch-size: expected an integer in \[1, 65536\], received '-3'/,
    ],
    [['train', '--batch-size', '0'], /--batch-size: expected an integer/],
    [['train', '--epochs', '2.5'], /--epochs: expected an integer/],
    [
      ['train', '--model', 'transformer'],
      /--model: expected one of mlp, cnn, received 'transformer'/,
    ],
    [['train', '--wat'], /Unknown option '--wat'/],
    [['train', '--out', 'model.bin'], /--out: expected a path ending in .safetensors/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['eval'], /--checkpoint: expected a path/],
  ])('%j exits with 2 and says why', async (argv, message) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
    expect(c.err()).toMatch(/usage: nerve/);
  });
});

describe('nerve train on the built-in digits', () => {
  it('trains an MLP to at least 97% test accuracy and prints one JSON object under --json', async () => {
    const c = capture();
    const out = join(dir, 'mlp.safetensors');
    expect(await main(['train', '--json', '--seed', '0', '--out', out], c.io)).toBe(0);
    const r = JSON.parse(c.out());
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(typeof r.testLoss).toBe('number');
    expect(r.epochs).toBe(r.history.length);
    expect(r.history[0]).toHaveProperty('trainLoss');
    expect(r.history[0]).toHaveProperty('valAccuracy');
    // Progress went to stderr, so stdout parsed as a single JSON document.
    expect(c.err()).toMatch(/epoch +1\/40/);

    const e = capture();
    expect(await main(['eval', '--checkpoint', out, '--json'], e.io)).toBe(0);
    expect(JSON.parse(e.out()).testAccuracy).toBeCloseTo(r.testAccuracy, 6);
  });

  it('trains a small CNN to at least 98% test accuracy', async () => {
    const c = capture();
    expect(await main(['train', '--model', 'cnn', '--json', '--seed', '0'], c.io)).toBe(0);
    expect(JSON.parse(c.out()).testAccuracy).toBeGreaterThanOrEqual(0.98);
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
    const r = JSON.parse(c.out());
    const finding = [r.stopReason ?? '', ...r.diagnosis.map((d: { code: string }) => d.code)].join(
      ' ',
    );
    expect(finding).toMatch(/loss became|loss-nan|loss-exploding/);
  });

  it('reports a checkpoint it cannot read with exit code 2', async () => {
    const c = capture();
    const out = join(dir, 'small.safetensors');
    expect(await main(['train', '--epochs', '1', '--out', out, '--json'], c.io)).toBe(0);
    // A checkpoint saved for an MLP cannot be loaded into a CNN description: eval reports it.
    const e = capture();
    expect(await main(['eval', '--checkpoint', join(dir, 'missing.safetensors')], e.io)).toBe(2);
    expect(e.err()).toMatch(/cannot read/);
  });
});
