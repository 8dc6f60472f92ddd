/**
 * Weights pretrained in PyTorch: fixtures/make_torch_cnn.py saves a CNN whose
 * state_dict keys follow a parent module with `features` and `classifier`
 * Sequentials; nerve's flat Sequential loads it through a key map and must
 * reproduce PyTorch's logits (float64 reference) within rtol 1e-5, atol 1e-6.
 */
import '@nerve/backend-cpu';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memory, tensor, tidy } from '@nerve/core';
import { Linear, Sequential, load, loadSafetensors, pytorchKeyMap } from '@nerve/layers';
import { describe, expect, it } from 'vitest';
import { extractFeatures, replaceHead } from '../src/index.js';
import { torchCnn } from './transfer-helpers.js';

const path = fileURLToPath(new URL('./fixtures/torch_cnn.safetensors', import.meta.url));
const expected = JSON.parse(
  readFileSync(new URL('./fixtures/torch_cnn.json', import.meta.url), 'utf8'),
) as {
  keys: Record<string, number[]>;
  input: { shape: number[]; data: number[] };
  features: number[][];
  logits: number[][];
};

/** torch's `features.i` are nerve's layers i; `classifier.0` / `.2` are layers 7 and 9. */
const keyMap = pytorchKeyMap({ features: '', 'classifier.0': '7', 'classifier.2': '9' });

function expectClose(actual: ArrayLike<number>, reference: number[]): void {
  expect(actual.length).toBe(reference.length);
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const excess = Math.abs(actual[i] - reference[i]) - (1e-6 + 1e-5 * Math.abs(reference[i]));
    worst = Math.max(worst, excess);
    expect(excess, `value ${i}: ${actual[i]} vs ${reference[i]}`).toBeLessThanOrEqual(0);
  }
  expect(worst).toBeLessThanOrEqual(0);
}

describe('a CNN pretrained in PyTorch', () => {
  it("holds torch's key names, which nerve's Sequential lacks without a key map", async () => {
    const { tensors } = await loadSafetensors(path);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected.keys).sort());
    for (const [k, t] of Object.entries(tensors)) {
      expect(t.shape).toEqual(expected.keys[k]);
      t.dispose();
    }
    const model = torchCnn(10, 0);
    await expect(load(model, path)).rejects.toThrow(
      /missing key '0\.weight'.*unexpected key 'features\.0\.weight'/,
    );
    model.dispose();
  });

  it("loads through pytorchKeyMap and reproduces PyTorch's logits", async () => {
    const before = memory().numTensors;
    const model = torchCnn(10, 0);
    const r = await load(model, path, { keyMap });
    expect(r.missingKeys).toEqual([]);
    expect(r.unexpectedKeys).toEqual([]);
    expect(r.metadata).toEqual({ format: 'pt' });
    const x = tensor(expected.input.data, { shape: expected.input.shape });
    const logits = tidy(() => model.eval().call(x).dataSync());
    expectClose(logits, expected.logits.flat());
    x.dispose();
    model.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it("serves as a frozen backbone: extracted features match PyTorch's", async () => {
    const model = torchCnn(10, 0);
    await load(model, path, { keyMap });
    replaceHead(model, new Linear(64, 3, { seed: 1 })).dispose();
    model.freeze(/^[0-8]\./);
    expect(model.trainableParameters()).toEqual(model.at(9).parameters());
    const x = tensor(expected.input.data, { shape: expected.input.shape });
    const feats = extractFeatures(new Sequential(...model.children().slice(0, 7)), x, {
      batchSize: 3,
    });
    expect(feats.shape).toEqual([4, 256]);
    expectClose(feats.dataSync(), expected.features.flat());
    feats.dispose();
    x.dispose();
    model.dispose();
  });
});
