import '@nerve/backend-cpu';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, memory, tensor, zeros } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Module,
  load,
  loadSafetensors,
  parseSafetensors,
  pytorchKeyMap,
  save,
  saveSafetensors,
  serializeSafetensors,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A layer with PyTorch's parameter and buffer names, filled with chosen values. */
class Stats extends Module {
  constructor(n: number, fill: number) {
    super();
    this.registerParameter('weight', tensor(Array.from({ length: n }, (_, i) => fill + i)));
    this.registerBuffer('running_mean', tensor(Array.from({ length: n }, () => fill / 2)));
    this.registerBuffer('num_batches_tracked', tensor(new Int32Array([fill]), { shape: [] }));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

class Net extends Module {
  constructor(fill: number) {
    super();
    this.registerModule('a', new Stats(2, fill));
    this.registerModule('b', new Stats(3, fill * 10));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

function values(m: Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = [...t.dataSync()];
  return out;
}

const NET_1 = {
  'a.weight': [1, 2],
  'a.running_mean': [0.5, 0.5],
  'a.num_batches_tracked': [1],
  'b.weight': [10, 11, 12],
  'b.running_mean': [5, 5, 5],
  'b.num_batches_tracked': [10],
};

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips through a file and overwrites an existing one', async () => {
    const path = join(dir, 'rt.safetensors');
    writeFileSync(path, 'old contents that are longer than the new file will be'.repeat(20));
    const t = { w: tensor([[1, 2, 3]]), m: tensor([true, false]) };
    await saveSafetensors(path, t, { step: '3' });
    expect(readFileSync(path)).toEqual(Buffer.from(await serializeSafetensors(t, { step: '3' })));
    const { tensors, metadata } = await loadSafetensors(path);
    expect(metadata).toEqual({ step: '3' });
    expect(tensors.w.arraySync()).toEqual([[1, 2, 3]]);
    expect(tensors.m.arraySync()).toEqual([true, false]);
    for (const x of [...Object.values(t), ...Object.values(tensors)]) x.dispose();
    expect(readdirSync(dir).filter((n) => n.includes('rt.safetensors'))).toEqual([
      'rt.safetensors',
    ]);
  });

  it('names the file when it cannot parse it', async () => {
    const path = join(dir, 'corrupt.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    await expect(loadSafetensors(path)).rejects.toThrow(
      /parseSafetensors: expected at least 8 bytes.*received 3 bytes \(file '.*corrupt.safetensors'\)/,
    );
  });
});

describe('saveSafetensors is atomic', () => {
  const fresh = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d);
    return d;
  };

  it('leaves the old file and no temporary file when a tensor cannot be written', async () => {
    const d = fresh('invalid');
    const path = join(d, 'model.safetensors');
    const old = { w: tensor([1, 2]) };
    await saveSafetensors(path, old);
    const before = readFileSync(path);
    const dead = zeros([3]);
    dead.dispose();
    await expect(saveSafetensors(path, { w: old.w, dead })).rejects.toThrow(
      /saveSafetensors: cannot write \(nothing was written\): 'dead' was disposed/,
    );
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(d)).toEqual(['model.safetensors']);
    old.w.dispose();
  });

  it('cleans up when a tensor fails after the temporary file was partly written', async () => {
    const d = fresh('midway');
    const path = join(d, 'model.safetensors');
    const big = zeros([1 << 16]);
    const late = tensor([7]);
    await saveSafetensors(path, { w: late });
    const before = readFileSync(path);
    // Validation passes synchronously; the tensor dies while the file is being written.
    const pending = saveSafetensors(path, { a: big, z: late });
    late.dispose();
    await expect(pending).rejects.toThrow(/saveSafetensors: reading tensor 'z' failed: .*disposed/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(d)).toEqual(['model.safetensors']);
    big.dispose();
  });

  it('cleans up when the rename fails, and fails when the directory does not exist', async () => {
    const d = fresh('rename');
    const target = join(d, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'keep');
    const t = tensor([1]);
    await expect(saveSafetensors(target, { t })).rejects.toThrow();
    expect(readdirSync(d)).toEqual(['occupied']);
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('keep');
    await expect(saveSafetensors(join(d, 'missing', 'x.safetensors'), { t })).rejects.toThrow(
      /ENOENT/,
    );
    expect(readdirSync(d)).toEqual(['occupied']);
    t.dispose();
  });
});

describe('save / load modules', () => {
  it('save(module) then load into another instance, from a path and from bytes', async () => {
    const src = new Net(1);
    const path = join(dir, 'net.safetensors');
    await save(src, path, { epoch: '4' });
    const dst = new Net(2);
    const before = memory();
    const result = await load(dst, path);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [], metadata: { epoch: '4' } });
    expect(values(dst)).toEqual(NET_1);
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
    const again = new Net(3);
    await load(again, new Uint8Array(readFileSync(path)));
    expect(values(again)).toEqual(NET_1);
    for (const m of [src, dst, again]) m.dispose();
  });

  it('rejects a mismatched file whole, naming every problem, and changes nothing', async () => {
    const other = {
      'a.weight': tensor([1, 2, 3]),
      'a.running_mean': tensor([0, 0]),
      'a.num_batches_tracked': tensor(5),
      extra: tensor([1]),
    };
    const bytes = await serializeSafetensors(other);
    const net = new Net(2);
    const snapshot = values(net);
    const before = memory().numTensors;
    const err = await load(net, bytes).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^loadStateDict: rejected \(nothing was loaded\)/);
    for (const p of [
      /'a.weight': shape \[3\] does not match the module's \[2\]/,
      /'a.num_batches_tracked': dtype float32 does not match the module's int32/,
      /missing key 'b.weight'/,
      /missing key 'b.running_mean'/,
      /missing key 'b.num_batches_tracked'/,
      /unexpected key 'extra'/,
    ]) {
      expect(msg).toMatch(p);
    }
    expect(values(net)).toEqual(snapshot);
    expect(memory().numTensors).toBe(before);
    // A file that does not parse is rejected before the module is looked at.
    await expect(load(net, bytes.subarray(0, 12))).rejects.toThrow(/^parseSafetensors: /);
    expect(memory().numTensors).toBe(before);
    for (const t of Object.values(other)) t.dispose();
    net.dispose();
  });

  it('applies keyMap (rename and drop) and reports non-strict leftovers', async () => {
    const src = new Net(1);
    const bytes = await serializeSafetensors(src.stateDict());
    const dst = new Net(2);
    // Load only 'b' from the file into 'a'-shaped slots? Shapes differ, so map b→b and drop a.
    const result = await load(dst, bytes, {
      strict: false,
      keyMap: (k) => (k.startsWith('a.') ? null : k),
    });
    expect(result.missingKeys.sort()).toEqual([
      'a.num_batches_tracked',
      'a.running_mean',
      'a.weight',
    ]);
    expect(result.unexpectedKeys).toEqual([]);
    expect(values(dst)['b.weight']).toEqual([10, 11, 12]);
    expect(values(dst)['a.weight']).toEqual([2, 3]);
    // Renaming: the file says 'module.layer_a.*' (PyTorch DataParallel), the module says 'a.*'.
    const torchStyle: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(src.stateDict())) {
      torchStyle[`module.${k.replace(/^a\./, 'layer_a.')}`] = t;
    }
    const dst2 = new Net(5);
    await load(dst2, await serializeSafetensors(torchStyle), {
      keyMap: pytorchKeyMap({ layer_a: 'a' }),
    });
    expect(values(dst2)).toEqual(NET_1);
    for (const m of [src, dst, dst2]) m.dispose();
  });

  it('rejects keyMap collisions and bad keyMap results without loading', async () => {
    const src = new Net(1);
    const bytes = await serializeSafetensors(src.stateDict());
    const dst = new Net(2);
    const snapshot = values(dst);
    const before = memory().numTensors;
    await expect(
      load(dst, bytes, { keyMap: (k) => (k.endsWith('weight') ? 'a.weight' : k) }),
    ).rejects.toThrow(
      /load: rejected \(nothing was loaded\): '.*' and '.*' both map to 'a.weight'/,
    );
    await expect(load(dst, bytes, { keyMap: () => 3 as unknown as string })).rejects.toThrow(
      /keyMap\('a.weight'\) returned number 3, expected a name or null/,
    );
    await expect(
      load(dst, bytes, { keyMap: { a: 'b' } as unknown as (k: string) => string }),
    ).rejects.toThrow(/load: expected keyMap as a function/);
    expect(values(dst)).toEqual(snapshot);
    expect(memory().numTensors).toBe(before);
    src.dispose();
    dst.dispose();
  });
});

describe('pytorchKeyMap', () => {
  it('strips DataParallel / torch.compile prefixes and renames by longest dotted prefix', () => {
    const km = pytorchKeyMap({
      fc: 'classifier',
      'features.0': 'stem',
      features: 'body',
      aux: null,
      backbone: '',
    });
    expect(km('module.fc.weight')).toBe('classifier.weight');
    expect(km('_orig_mod.fc.bias')).toBe('classifier.bias');
    expect(km('module._orig_mod.features.0.weight')).toBe('stem.weight');
    expect(km('features.1.weight')).toBe('body.1.weight');
    expect(km('features.01.weight')).toBe('body.01.weight');
    expect(km('fcx.weight')).toBe('fcx.weight');
    expect(km('aux.weight')).toBeNull();
    expect(km('backbone.layer1.weight')).toBe('layer1.weight');
    expect(pytorchKeyMap({}, { stripWrappers: false })('module.fc.weight')).toBe(
      'module.fc.weight',
    );
    const fn = pytorchKeyMap((k) => (k === 'drop' ? null : `x.${k}`));
    expect(fn('module.w')).toBe('x.w');
    expect(fn('drop')).toBeNull();
    expect(() => pytorchKeyMap(3 as unknown as Record<string, string>)).toThrow(
      /pytorchKeyMap: expected a record of prefixes or a function/,
    );
  });

  it('is what load uses to read a state dict saved from a wrapped model', async () => {
    const t = { 'module.a.weight': tensor([1, 2]), 'module.a.extra': tensor([0]) };
    const bytes = await serializeSafetensors(t);
    const { tensors } = parseSafetensors(bytes);
    const km = pytorchKeyMap({ 'a.extra': null });
    expect(Object.keys(tensors).map(km)).toEqual([null, 'a.weight']);
    for (const x of [...Object.values(t), ...Object.values(tensors)]) x.dispose();
  });
});
