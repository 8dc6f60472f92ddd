/**
 * Interop with PyTorch: files written from torch tensors by
 * fixtures/make_safetensors_fixture.py, with PyTorch's own outputs as reference.
 */
import '@nerve/backend-cpu';
import { readFileSync } from 'node:fs';
import { type Tensor, matmul, memory, noGrad, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import * as layers from '../src/index.js';
import { Module, Sequential, load, parseSafetensors, serializeSafetensors } from '../src/index.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const expected = JSON.parse(readFileSync(fixture('torch_safetensors.json'), 'utf8'));
const mlpBytes = new Uint8Array(readFileSync(fixture('torch_mlp.safetensors')));
const dtypesBytes = new Uint8Array(readFileSync(fixture('torch_dtypes.safetensors')));

type Nested = number | boolean | string | Nested[];
const flat = (v: Nested): (number | boolean)[] =>
  Array.isArray(v)
    ? v.flatMap(flat)
    : [
        v === 'inf'
          ? Number.POSITIVE_INFINITY
          : v === '-inf'
            ? Number.NEGATIVE_INFINITY
            : (v as number | boolean),
      ];

/** PyTorch's Linear (y = x Wᵀ + b) with its parameter names, written here independently of src/linear. */
class TorchLinear extends Module {
  constructor(inF: number, outF: number) {
    super();
    this.registerParameter('weight', tensor(new Float32Array(inF * outF), { shape: [outF, inF] }));
    this.registerParameter('bias', tensor(new Float32Array(outF)));
  }
  forward(x: Tensor): Tensor {
    const [w, b] = this.parameters();
    return matmul(x, w.transpose(0, 1)).add(b);
  }
}

class TorchReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** Same check as every PyTorch comparison: |a − b| ≤ 1e-6 + 1e-5·|b|. */
function expectClose(actual: number[], reference: number[]): void {
  expect(actual.length).toBe(reference.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - reference[i]), `index ${i}: ${a} vs ${reference[i]}`).toBeLessThanOrEqual(
      1e-6 + 1e-5 * Math.abs(reference[i]),
    );
  });
}

async function checkMlp(model: Module): Promise<void> {
  const before = memory().numTensors;
  const result = await load(model, mlpBytes);
  expect(result).toEqual({ missingKeys: [], unexpectedKeys: [], metadata: { format: 'pt' } });
  expect(memory().numTensors).toBe(before);
  for (const [k, t] of Object.entries(model.stateDict())) {
    expect(t.shape, k).toEqual(expected.mlp.state_dict[k].shape);
    expect([...t.dataSync()], k).toEqual(flat(expected.mlp.state_dict[k].values));
  }
  model.eval();
  const logits = tidy(() => noGrad(() => [...model.call(tensor(expected.mlp.input)).dataSync()]));
  expectClose(logits, flat(expected.mlp.logits) as number[]);
  expect(memory().numTensors).toBe(before);
}

describe('PyTorch checkpoints', () => {
  it("loads a torch state_dict into a module with PyTorch's names and matches its logits", async () => {
    const model = new Sequential(new TorchLinear(4, 3), new TorchReLU(), new TorchLinear(3, 2));
    await checkMlp(model);
    model.dispose();
  });

  const { Linear, ReLU } = layers as unknown as Record<
    string,
    (new (...a: number[]) => Module) | undefined
  >;
  it.skipIf(!Linear || !ReLU)(
    'loads it into Sequential(Linear, ReLU, Linear) from src',
    async () => {
      if (!Linear || !ReLU) return;
      const model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
      await checkMlp(model);
      model.dispose();
    },
  );

  it('writes the same bytes as the reference layout for the same state dict', async () => {
    const { tensors, metadata } = parseSafetensors(mlpBytes);
    expect(metadata).toEqual(expected.mlp.metadata);
    expect(await serializeSafetensors(tensors, metadata)).toEqual(mlpBytes);
    for (const t of Object.values(tensors)) t.dispose();
  });

  it('reads every dtype torch wrote (F64, F16, BF16, I64, I16, I8, U8, BOOL, empty, scalar)', () => {
    const { tensors, metadata } = parseSafetensors(dtypesBytes);
    expect(metadata).toEqual(expected.dtypes.metadata);
    const want = expected.dtypes.tensors as Record<
      string,
      { dtype: string; shape: number[]; values: Nested }
    >;
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(want).sort());
    const nerveDType = (d: string) =>
      d === 'BOOL' ? 'bool' : d.startsWith('F') || d === 'BF16' ? 'float32' : 'int32';
    for (const [k, w] of Object.entries(want)) {
      const t = tensors[k];
      expect(t.dtype, k).toBe(nerveDType(w.dtype));
      expect(t.shape, k).toEqual(w.shape);
      const got = t.dtype === 'bool' ? [...t.dataSync()].map((v) => v === 1) : [...t.dataSync()];
      // Conversions are exact roundings to float32 (as torch's .float()), so equality holds.
      expect(got, k).toEqual(flat(w.values));
    }
    for (const t of Object.values(tensors)) t.dispose();
  });

  it('loads an int64 num_batches_tracked into an int32 buffer', async () => {
    class BN extends Module {
      constructor() {
        super();
        this.registerBuffer('num_batches_tracked', tensor(new Int32Array([0]), { shape: [] }));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const bn = new BN();
    await load(bn, dtypesBytes, {
      keyMap: layers.pytorchKeyMap((k) => (k.startsWith('bn.') ? k.slice(3) : null)),
    });
    expect(bn.stateDict().num_batches_tracked.itemSync()).toBe(12345);
    bn.dispose();
  });
});
