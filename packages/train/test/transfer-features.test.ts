/**
 * Transfer-learning API, part 3: feature extraction, heads trained on
 * features, and pretrained-model files (architecture in the metadata,
 * mismatched architectures named key by key).
 */
import '@nerve/backend-cpu';
import { NerveError, type Tensor, memory, randn, tensor, tidy } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Dropout, Flatten, Linear, type Module, ReLU, Sequential, save } from '@nerve/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  extractFeatures,
  loadPretrained,
  readArchitecture,
  saveModel,
  trainHead,
  trainLinearHead,
} from '../src/index.js';
import { values, expectNerveRejection, images } from './transfer-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('feature extraction', () => {
  /** Linear(4, 3) → ReLU → Dropout: dropout must be off while extracting. */
  const backbone = () =>
    new Sequential(new Linear(4, 3, { seed: 11 }), new ReLU(), new Dropout(0.5, { seed: 1 }));

  /** relu(x Wᵀ + b) on the host, in float64. */
  function reference(model: Sequential, x: Tensor): number[] {
    const [w, b] = model.at(0).parameters().map(values);
    const xs = values(x);
    const out: number[] = [];
    for (let i = 0; i < x.shape[0]; i++) {
      for (let o = 0; o < 3; o++) {
        let s = b[o];
        for (let k = 0; k < 4; k++) s += xs[4 * i + k] * w[4 * o + k];
        out.push(Math.max(0, s));
      }
    }
    return out;
  }

  it('equals running the backbone in eval mode, batch by batch, for tensors, datasets and loaders', () => {
    const model = backbone();
    const x = randn([20, 4], { seed: 3 });
    const ref = reference(model, x);
    const ds = new TensorDataset(x, tensor(new Int32Array(20)));
    for (const f of [
      extractFeatures(model, x, { batchSize: 7 }),
      extractFeatures(model, ds),
      extractFeatures(model, new DataLoader(ds, { batchSize: 6, shuffle: true, seed: 2 })),
    ]) {
      expect(f.shape).toEqual([20, 3]);
      expect(f.requiresGrad).toBe(false);
      for (const [i, v] of values(f).entries()) {
        expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(ref[i]));
      }
      f.dispose();
    }
    expect(model.training).toBe(true);
    expect(() => extractFeatures(model, [1, 2] as unknown as Tensor)).toThrow(
      /Tensor, DataLoader or TensorDataset/,
    );
    model.dispose();
    x.dispose();
    ds.tensors[1].dispose();
  });

  it('trains a linear probe on features, and a custom head', async () => {
    const ds = images(200, 21);
    const feats = tidy(() => ds.tensors[0].reshape([200, 64]).narrow(1, 0, 16).contiguous());
    const { head, history } = await trainLinearHead(feats, ds.tensors[1], {
      epochs: 40,
      lr: 0.05,
      seed: 1,
    });
    expect(head).toBeInstanceOf(Linear);
    expect(head.outFeatures).toBe(3);
    expect(history).toHaveLength(40);
    expect(history[39].trainAccuracy).toBeGreaterThan(0.9);
    head.dispose();
    const custom = new Sequential(
      new Linear(16, 8, { seed: 2 }),
      new ReLU(),
      new Linear(8, 3, { seed: 3 }),
    );
    const r = await trainHead(feats, ds.tensors[1], { head: custom, epochs: 40, lr: 0.02 });
    expect(r.head).toBe(custom);
    expect(r.history[39].trainAccuracy).toBeGreaterThan(0.9);
    await expect(trainLinearHead(ds.tensors[0], ds.tensors[1])).rejects.toThrow(
      /\[N, F\].*Flatten/,
    );
    await expect(trainLinearHead(feats, ds.tensors[0])).rejects.toThrow(
      /int32 labels of shape \[200\]/,
    );
    custom.dispose();
    feats.dispose();
    ds.dispose();
  });
});

describe('pretrained model files', () => {
  const mlp = (arch: { hidden: number[]; classes: number }) => {
    const layers: Module[] = [new Flatten()];
    let width = 64;
    arch.hidden.forEach((h, i) => {
      layers.push(new Linear(width, h, { seed: 30 + i }), new ReLU());
      width = h;
    });
    layers.push(new Linear(width, arch.classes, { seed: 40 }));
    return new Sequential(...layers);
  };

  it('round-trips weights and the architecture in the safetensors metadata', async () => {
    const arch = { hidden: [12, 6], classes: 3 };
    const model = mlp(arch);
    const path = join(dir, 'mlp.safetensors');
    await saveModel(path, model, arch, { note: 'test' });
    expect(await readArchitecture(path)).toEqual(arch);
    const { model: back, architecture, metadata } = await loadPretrained(path, mlp);
    expect(architecture).toEqual(arch);
    expect(metadata).toEqual({ note: 'test', nerve: JSON.stringify(arch) });
    const a = model.stateDict();
    for (const [k, t] of Object.entries(back.stateDict())) expect(values(t)).toEqual(values(a[k]));
    back.dispose();
    model.dispose();
  });

  it('names every mismatched key when the architecture does not fit, and frees the built model', async () => {
    const model = mlp({ hidden: [12, 6], classes: 3 });
    const path = join(dir, 'mismatch.safetensors');
    await saveModel(path, model, { hidden: [12, 6], classes: 3 });
    const before = memory().numTensors;
    // Wider first layer, one hidden layer fewer, 5 classes.
    const wrong = { hidden: [10], classes: 5 };
    const e = await loadPretrained(path, () => mlp(wrong)).then(
      () => null,
      (err: Error) => err,
    );
    expect(e).toBeInstanceOf(NerveError);
    const msg = (e as Error).message;
    for (const part of [
      "'1.weight': shape [12,64] does not match the module's [10,64]",
      "'1.bias': shape [12] does not match the module's [10]",
      "'3.weight': shape [6,12] does not match the module's [5,10]",
      "'3.bias': shape [6] does not match the module's [5]",
      "unexpected key '5.weight'",
      "unexpected key '5.bias'",
    ]) {
      expect(msg).toContain(part);
    }
    expect(msg.match(/'[0-9]\.(weight|bias)'/g)).toHaveLength(6);
    expect(memory().numTensors).toBe(before);
    await expectNerveRejection(
      loadPretrained(
        join(dir, 'mismatch.safetensors'),
        () => mlp({ hidden: [12, 6], classes: 3 }),
        {
          keyMap: (k) => (k.startsWith('5.') ? null : k),
        },
      ),
      /missing key '5\.weight'; missing key '5\.bias'/,
    );
    model.dispose();
  });

  it('explains a file without an architecture and rejects unserializable ones', async () => {
    const model = mlp({ hidden: [4], classes: 2 });
    const path = join(dir, 'plain.safetensors');
    await save(model, path);
    await expectNerveRejection(readArchitecture(path), /no 'nerve' metadata/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectNerveRejection(saveModel(path, model, cyclic), /not JSON-able/);
    await expectNerveRejection(saveModel(path, model, {}, { nerve: 'x' }), /reserved/);
    model.dispose();
  });
});
