import { describe, expect, it } from 'vitest';
import { ModuleBuilder, sleb, uleb } from '../src/wasm/emit.js';

describe('wasm emitter', () => {
  it('encodes LEB128 as the spec examples do', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0x105)).toEqual([0x85, 0x02]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(() => uleb(-1)).toThrow(/uleb/);
  });

  it('builds an add function that validates and runs', () => {
    const bytes = new ModuleBuilder()
      .func('add', ['i32', 'i32'], ['i32'], (f) => f.get(0).get(1).op('i32.add'), true)
      .encode();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const add = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.add as (
      a: number,
      b: number,
    ) => number;
    expect(add(2, 40)).toBe(42);
    expect(add(-5, 3)).toBe(-2);
  });

  it('runs loops, calls, locals, and loads/stores with offsets on an imported memory', () => {
    // sum(ptr, n) = Σ f32 at ptr[i] (via a helper that loads at offset 4 from ptr - 4)
    const bytes = new ModuleBuilder()
      .importMemory({ initial: 1, maximum: 2 })
      .func('at', ['i32'], ['f32'], (f) => f.get(0).i32(4).op('i32.sub').mem('f32.load', 4))
      .func(
        'sum',
        ['i32', 'i32'],
        ['f32'],
        (f) => {
          const i = f.local('i32');
          const s = f.local('f32');
          f.f32(0).set(s);
          f.forUp(
            i,
            () => f.i32(0),
            1,
            1,
            () => {
              f.get(s).get(0).get(i).i32(4).op('i32.mul').op('i32.add').call('at');
              f.op('f32.add').set(s);
            },
          );
          f.get(s);
        },
        true,
      )
      .encode();
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    new Float32Array(memory.buffer).set([1.5, 2, 4, 8], 4);
    const { sum } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
      .exports as { sum: (p: number, n: number) => number };
    expect(sum(16, 4)).toBe(15.5);
    expect(sum(16, 0)).toBe(0);
  });

  it('rejects malformed use with a message naming the function', () => {
    const m = () => new ModuleBuilder();
    expect(() => m().func('f', ['i32'], [], (f) => f.get(3))).toThrow(
      /function f\): local 3 is not declared/,
    );
    expect(() => m().func('g', [], [], (f) => f.call('missing'))).toThrow(
      /function g\): no function missing/,
    );
    expect(() =>
      m().func('h', [], [], (f) => {
        let saved: Parameters<Parameters<typeof f.block>[0]>[0] | undefined;
        f.block((l) => {
          saved = l;
        });
        f.br(saved!);
      }),
    ).toThrow(/function h\): branch to a label whose block is not open/);
    expect(() =>
      m()
        .func('d', [], [], () => {})
        .func('d', [], [], () => {}),
    ).toThrow(/declared twice/);
    expect(() => m().importMemory({ initial: 1, shared: true })).toThrow(
      /shared memory needs a maximum/,
    );
  });
});
