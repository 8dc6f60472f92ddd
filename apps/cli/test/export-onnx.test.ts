/**
 * `nerve export`: the CLI's networks as ONNX, run in onnxruntime (CPU) and
 * compared with nerve within the issue's 1e-4: the MLP with each activation
 * the CLI offers, the CNN with BatchNorm, and checkpoints written by
 * `nerve train` and exported by `nerve export` end to end, where the folded
 * standardization must reproduce what nerve does to raw inputs.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, noGrad, rand, randn, tensor, tidy } from '@nerve/core';
import { Standardize, loadDigits, type PreprocessorState } from '@nerve/data';
import { type Module, save } from '@nerve/layers';
import { mobilenetV2, resnet18 } from '@nerve/models';
import { BatchNormBase } from '@nerve/norm';
import { exportOnnx } from '@nerve/onnx';
import { loadCheckpoint } from '@nerve/train';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareData } from '../src/datasets.js';
import { type ModelSpec, buildModel } from '../src/models.js';
import { ACTIVATIONS } from '../src/names.js';
import { runCli } from './helpers.js';

/** The issue's limit; both sides compute in float32 and differ only in summation order. */
const ATOL = 1e-4;

const dir = mkdtempSync(join(tmpdir(), 'nerve-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[]) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
    return { data: out.output.data as Float32Array, dims: [...out.output.dims] };
  } finally {
    await session.release();
  }
}

function runNerve(model: Module, x: Float32Array, shape: number[], scaler?: Standardize) {
  model.eval();
  return tidy(() =>
    noGrad(() => {
      const input = tensor(x, { shape });
      const y = model.call(scaler ? scaler.transform(input) : input);
      return Float32Array.from(y.dataSync() as Float32Array);
    }),
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

function randomInput(shape: number[], seed: number, scale = 1): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from(g.normal(shape.reduce((a, b) => a * b, 1)), (v) => v * scale);
}

/** Non-trivial running statistics, so an export that ignored them would fail. */
function randomizeBatchNorm(model: Module, seed: number): void {
  let s = seed;
  noGrad(() =>
    tidy(() => {
      for (const m of model.modules()) {
        if (!(m instanceof BatchNormBase)) continue;
        const c = [m.numFeatures];
        m.runningMean?.assign(randn(c, { seed: s++ }).mul(0.5));
        m.runningVar?.assign(rand(c, { seed: s++ }).mul(1.5).add(0.5));
        m.weight?.assign(rand(c, { seed: s++ }).add(0.5));
        m.bias?.assign(randn(c, { seed: s++ }).mul(0.3));
      }
    }),
  );
}

const spec = (over: Partial<ModelSpec>): ModelSpec => ({
  kind: 'mlp',
  inputShape: [64],
  classes: 10,
  hidden: [32, 16],
  activation: 'relu',
  batchnorm: false,
  init: 'default',
  seed: 1,
  ...over,
});

describe("the CLI's networks", () => {
  for (const [i, activation] of ACTIVATIONS.entries()) {
    it(`MLP 64-32-16-10 ${activation}${activation === 'maxout' ? '' : ', batchnorm'}, dropout`, async () => {
      const s = spec({ activation, batchnorm: activation !== 'maxout', dropout: 0.2, seed: i });
      const model = buildModel(s);
      randomizeBatchNorm(model, 10 * i);
      const x = randomInput([5, 64], i, 2);
      const onnx = await runOnnx(await exportOnnx(model, { inputShape: [5, 64] }), x, [5, 64]);
      expect(onnx.dims).toEqual([5, 10]);
      expect(maxAbsDiff(onnx.data, runNerve(model, x, [5, 64]))).toBeLessThanOrEqual(ATOL);
      model.dispose();
    });
  }

  it('CNN 8-16 with batchnorm on 1×28×28', async () => {
    const model = buildModel(
      spec({ kind: 'cnn', inputShape: [1, 28, 28], hidden: [8, 16], batchnorm: true }),
    );
    randomizeBatchNorm(model, 3);
    const x = randomInput([3, 1, 28, 28], 7);
    const onnx = await runOnnx(
      await exportOnnx(model, { inputShape: [1, 1, 28, 28] }),
      x,
      [3, 1, 28, 28],
    );
    expect(maxAbsDiff(onnx.data, runNerve(model, x, [3, 1, 28, 28]))).toBeLessThanOrEqual(ATOL);
    model.dispose();
  });
});

describe('nerve export, end to end', () => {
  it('a digits CNN checkpoint: the graph takes raw pixels (standardization folded in)', async () => {
    const ckpt = join(dir, 'cnn.safetensors');
    const onnxPath = join(dir, 'cnn.onnx');
    const argv = [
      '--model',
      'cnn',
      '--batchnorm',
      '--epochs',
      '1',
      '--limit',
      '400',
      '--out',
      ckpt,
    ];
    expect((await runCli(['train', ...argv])).code).toBe(0);
    const r = await runCli(['export', '--checkpoint', ckpt, '--onnx', onnxPath, '--json']);
    expect(r.code, r.all()).toBe(0);
    expect(r.last()).toMatchObject({
      event: 'summary',
      opset: 17,
      standardization: 'refitted',
      input: ['batch', 1, 8, 8],
    });

    // nerve: the raw digits standardized with the training split's statistics, as nerve eval does.
    const data = prepareData('digits', { image: true, limit: 400 });
    for (const p of [data.train, data.val, data.test]) p.dispose();
    const scaler = new Standardize({ mode: 'perChannel' });
    scaler.loadStateDict(
      (data as { standardize?: PreprocessorState }).standardize as PreprocessorState,
    );
    const model = buildModel(
      spec({ kind: 'cnn', inputShape: [1, 8, 8], hidden: [16, 32], batchnorm: true }),
    );
    await loadCheckpoint(ckpt, model);
    const digits = loadDigits();
    const n = 200;
    const raw = Float32Array.from((digits.x.dataSync() as Float32Array).subarray(0, n * 64));
    digits.x.dispose();
    digits.y.dispose();
    const shape = [n, 1, 8, 8];
    const onnx = await runOnnx(new Uint8Array(readFileSync(onnxPath)), raw, shape);
    const nerve = runNerve(model, raw, shape, scaler);
    // Without the folded standardization the two would differ by far more than the limit.
    expect(maxAbsDiff(onnx.data, runNerve(model, raw, shape))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(onnx.data, nerve)).toBeLessThanOrEqual(ATOL);
    model.dispose();
  });

  it('a table checkpoint: onnxruntime on the raw columns gives nerve predict’s probabilities', async () => {
    const g = new Generator(5);
    const lines = ['a;b;species'];
    const rows: number[][] = [];
    for (let i = 0; i < 90; i++) {
      const c = i % 3;
      const a = 10 * c + 3 * g.normal(1)[0];
      const b = 100 - 20 * c + 5 * g.normal(1)[0];
      rows.push([a, b]);
      lines.push(`${a.toFixed(3)};${b.toFixed(3)};${['x', 'y', 'z'][c]}`);
    }
    const csv = join(dir, 'table.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const ckpt = join(dir, 'table.safetensors');
    const onnxPath = join(dir, 'table.onnx');
    const trained = await runCli([
      'train',
      '--csv',
      csv,
      '--label',
      'species',
      '--epochs',
      '3',
      '--out',
      ckpt,
    ]);
    expect(trained.code, trained.all()).toBe(0);
    const r = await runCli(['export', '--checkpoint', ckpt, '--onnx', onnxPath]);
    expect(r.code, r.all()).toBe(0);
    expect(r.out()).toMatch(
      /the input standardization \(the checkpoint's\) is folded into the graph/,
    );
    expect(r.out()).toMatch(/classes: x, y, z/);
    const predicted = await runCli(['predict', '--checkpoint', ckpt, '--csv', csv, '--json']);
    const probs = predicted
      .lines()
      .filter((l) => l.event === 'prediction')
      .flatMap((l) => ['x', 'y', 'z'].map((k) => l.probabilities[k] as number));
    // The CSV's cells as written (3 decimals), as nerve predict read them.
    const x = Float32Array.from(rows.flatMap((row) => row.map((v) => Number(v.toFixed(3)))));
    const onnx = await runOnnx(new Uint8Array(readFileSync(onnxPath)), x, [rows.length, 2]);
    const soft = softmaxRows(onnx.data, 3);
    expect(maxAbsDiff(soft, probs)).toBeLessThanOrEqual(ATOL);
  });

  it('a regression checkpoint: onnxruntime outputs nerve predict’s values, in the target’s units', async () => {
    const g = new Generator(6);
    const lines = ['x1,x2,y'];
    const rows: number[][] = [];
    for (let i = 0; i < 120; i++) {
      const [u, v] = g.uniform(2);
      const x1 = Number((10 * u).toFixed(3));
      const x2 = Number((10 * v).toFixed(3));
      // Target mean ≈ 25, std ≈ 10: an export that left the targets standardized would be off
      // by ~25 (the mean) and a factor ~10 (the scale), far beyond the limit.
      const y = 20 + 3 * x1 - 2 * x2 + 0.5 * g.normal(1)[0];
      rows.push([x1, x2]);
      lines.push(`${x1.toFixed(3)},${x2.toFixed(3)},${y.toFixed(3)}`);
    }
    const csv = join(dir, 'regression.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const ckpt = join(dir, 'regression.safetensors');
    const onnxPath = join(dir, 'regression.onnx');
    const trained = await runCli([
      'train',
      '--csv',
      csv,
      '--label',
      'y',
      '--task',
      'regression',
      '--epochs',
      '3',
      '--out',
      ckpt,
    ]);
    expect(trained.code, trained.all()).toBe(0);
    const r = await runCli(['export', '--checkpoint', ckpt, '--onnx', onnxPath, '--json']);
    expect(r.code, r.all()).toBe(0);
    const { target } = r.last();
    expect(target.mean).toBeGreaterThan(15);
    expect(target.scale).toBeGreaterThan(5);
    const text = await runCli(['export', '--checkpoint', ckpt, '--onnx', onnxPath]);
    expect(text.out()).toMatch(/output 'output' \[batch, 1\] \(the target in its units/);
    const predicted = await runCli(['predict', '--checkpoint', ckpt, '--csv', csv, '--json']);
    const values = predicted
      .lines()
      .filter((l) => l.event === 'prediction')
      .map((l) => l.prediction as number);
    expect(values).toHaveLength(rows.length);
    const x = Float32Array.from(rows.flat());
    const onnx = await runOnnx(new Uint8Array(readFileSync(onnxPath)), x, [rows.length, 2]);
    expect(onnx.dims).toEqual([rows.length, 1]);
    // Values of order 1–60: float32 rounding of the graph's last Mul and Add is ~1e-5 at most.
    expect(maxAbsDiff(onnx.data, values)).toBeLessThanOrEqual(ATOL);
  });

  it('torchvision-named resnet18 and mobilenetV2 state dicts (--model NAME --size 64)', async () => {
    const model = resnet18({ numClasses: 7, seed: 3 });
    randomizeBatchNorm(model, 30);
    const ckpt = join(dir, 'resnet18.safetensors');
    await save(model, ckpt);
    const onnxPath = join(dir, 'resnet18.onnx');
    const argv = ['--model', 'resnet18', '--size', '64', '--checkpoint', ckpt, '--onnx', onnxPath];
    const r = await runCli(['export', ...argv, '--json']);
    expect(r.code, r.all()).toBe(0);
    expect(r.last()).toMatchObject({ input: ['batch', 3, 64, 64], output: ['batch', 7] });
    const shape = [2, 3, 64, 64];
    const x = randomInput(shape, 11);
    const onnx = await runOnnx(new Uint8Array(readFileSync(onnxPath)), x, shape);
    expect(maxAbsDiff(onnx.data, runNerve(model, x, shape))).toBeLessThanOrEqual(ATOL);
    // --imagenet-normalize: the graph takes RGB in [0, 1] and normalizes it as torchvision does.
    const norm = await runCli(['export', ...argv, '--imagenet-normalize']);
    expect(norm.code, norm.all()).toBe(0);
    expect(norm.out()).toMatch(/ImageNet's normalization is folded into the graph/);
    const rgb = x.map((v) => Math.abs(v) % 1);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const normalized = rgb.map((v, i) => {
      const c = Math.floor(i / (64 * 64)) % 3;
      return (v - mean[c]) / std[c];
    });
    const no = await runOnnx(new Uint8Array(readFileSync(onnxPath)), rgb, shape);
    expect(maxAbsDiff(no.data, runNerve(model, normalized, shape))).toBeLessThanOrEqual(ATOL);
    // MobileNetV2 through the same path.
    const mobile = mobilenetV2({ numClasses: 4, seed: 5 });
    randomizeBatchNorm(mobile, 50);
    const mobileCkpt = join(dir, 'mobilenet.safetensors');
    await save(mobile, mobileCkpt);
    const m = await runCli([
      'export',
      '--model',
      'mobilenetV2',
      '--size',
      '64',
      '--checkpoint',
      mobileCkpt,
      '--onnx',
      onnxPath,
    ]);
    expect(m.code, m.all()).toBe(0);
    const mo = await runOnnx(new Uint8Array(readFileSync(onnxPath)), x, shape);
    expect(maxAbsDiff(mo.data, runNerve(mobile, x, shape))).toBeLessThanOrEqual(ATOL);
    mobile.dispose();
    // A state dict of another network is named as such.
    const wrong = await runCli([
      'export',
      '--model',
      'resnet34',
      '--checkpoint',
      ckpt,
      '--onnx',
      onnxPath,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.err()).toMatch(
      /loadStateDict: rejected \(nothing was loaded\): missing key 'layer1\.2\./,
    );
    model.dispose();
  }, 120_000);

  it('refuses missing flags, an unwritable path and a file that is no checkpoint', async () => {
    const noOnnx = await runCli(['export', '--checkpoint', 'x.safetensors']);
    expect(noOnnx.code).toBe(2);
    expect(noOnnx.err()).toMatch(/--onnx: expected a path for the ONNX model/);
    const missingDir = await runCli([
      'export',
      '--checkpoint',
      'x.safetensors',
      '--onnx',
      join(dir, 'no', 'm.onnx'),
    ]);
    expect(missingDir.code).toBe(1);
    expect(missingDir.err()).toMatch(
      /--onnx: expected a file path in an existing, writable folder/,
    );
    const notCkpt = join(dir, 'not.safetensors');
    writeFileSync(notCkpt, 'hello');
    const bad = await runCli(['export', '--checkpoint', notCkpt, '--onnx', join(dir, 'm.onnx')]);
    expect(bad.code).toBe(1);
    expect(bad.err()).toMatch(/^nerve: /);
  });
});

function softmaxRows(z: Float32Array, k: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let r = 0; r < z.length / k; r++) {
    const row = z.subarray(r * k, (r + 1) * k);
    const m = Math.max(...row);
    const e = Array.from(row, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < k; c++) out[r * k + c] = e[c] / s;
  }
  return out;
}
