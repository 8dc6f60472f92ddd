/**
 * Names that are Object.prototype's (`__proto__`, `constructor`, `toString`)
 * are plain names in a safetensors file: they parse, they are refused as
 * unexpected keys when strict and reported when not, and they never reach
 * Object.prototype.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError, type Tensor, memory } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { Linear, load, loadSafetensors, parseSafetensors } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ODD = ['__proto__', 'constructor', 'toString'];

/** A file written by hand: Linear(2, 1)'s weights plus one F32 scalar per odd name, and odd metadata keys. */
function file(): Uint8Array {
  const parts: string[] = [
    `"__metadata__":{"__proto__":"p","constructor":"c","toString":"s"}`,
    `"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}`,
    `"bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}`,
  ];
  ODD.forEach((n, i) => {
    parts.push(`"${n}":{"dtype":"F32","shape":[],"data_offsets":[${12 + 4 * i},${16 + 4 * i}]}`);
  });
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const data = new Float32Array([1, 2, 3, 10, 20, 30]);
  const out = new Uint8Array(8 + json.length + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(new Uint8Array(data.buffer), 8 + json.length);
  return out;
}

describe('safetensors names that are Object.prototype properties', () => {
  it('parse as own keys, from bytes and from a file', async () => {
    const path = join(dir, 'odd.safetensors');
    writeFileSync(path, file());
    for (const r of [parseSafetensors(file()), await loadSafetensors(path)]) {
      expect(Object.keys(r.tensors).sort()).toEqual([
        '__proto__',
        'bias',
        'constructor',
        'toString',
        'weight',
      ]);
      expect(Object.getOwnPropertyDescriptor(r.tensors, '__proto__')?.value.dataSync()[0]).toBe(10);
      expect((r.tensors.constructor as unknown as Tensor).dataSync()[0]).toBe(20);
      expect((r.tensors.toString as unknown as Tensor).dataSync()[0]).toBe(30);
      expect(Object.getOwnPropertyDescriptor(r.metadata, '__proto__')?.value).toBe('p');
      expect(r.metadata.constructor).toBe('c');
      for (const t of Object.values(r.tensors)) t.dispose();
    }
    expect(({} as Record<string, unknown>).weight).toBeUndefined();
  });

  it('strict load refuses them as unexpected keys (a NerveError) and changes nothing', async () => {
    const m = new Linear(2, 1, { seed: 1 });
    const before = [...m.weight.dataSync()];
    const tensors = memory().numTensors;
    const e = await load(m, file()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NerveError);
    for (const n of ODD) expect((e as Error).message).toContain(`unexpected key '${n}'`);
    expect([...m.weight.dataSync()]).toEqual(before);
    expect(memory().numTensors).toBe(tensors);
  });

  it('non-strict load reports them and loads the rest', async () => {
    const m = new Linear(2, 1, { seed: 1 });
    const r = await load(m, file(), { strict: false });
    expect(r.unexpectedKeys.sort()).toEqual([...ODD].sort());
    expect(r.missingKeys).toEqual([]);
    expect([...m.weight.dataSync()]).toEqual([1, 2]);
    expect([...(m.bias as Tensor).dataSync()]).toEqual([3]);
  });

  it('loadStateDict does not take inherited names as keys of the module or the dict', () => {
    const m = new Linear(2, 1, { seed: 1 });
    // An object without `weight` as its own key: inherited properties do not count.
    const dict = Object.create({ weight: m.weight });
    const r = m.loadStateDict(dict, { strict: false });
    expect(r.missingKeys.sort()).toEqual(['bias', 'weight']);
    expect(r.unexpectedKeys).toEqual([]);
  });
});
