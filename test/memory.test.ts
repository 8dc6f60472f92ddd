/**
 * Memory: tidy scopes, keep, dispose, views sharing buffers, and counts per backend.
 */
import '@nerve/backend-cpu';
import {
  type Tensor,
  add,
  keep,
  memory,
  mul,
  ones,
  randn,
  slice,
  tensor,
  tidy,
  transpose,
} from '@nerve/core';
import { describe, expect, it } from 'vitest';

describe('tidy', () => {
  it('disposes intermediates and keeps what it returns', () => {
    const before = memory().numTensors;
    const y = tidy(() => {
      const a = ones([4, 4]);
      const b = mul(add(a, 1), 3);
      return add(b, a);
    });
    expect(memory().numTensors).toBe(before + 1);
    expect(y.dataSync()[0]).toBe(7);
    y.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('keeps tensors returned inside arrays and objects', () => {
    const before = memory().numTensors;
    const out = tidy(() => {
      const a = ones([2]);
      return { list: [add(a, 1)], nested: { x: mul(a, 2) } };
    });
    expect(memory().numTensors).toBe(before + 2);
    out.list[0].dispose();
    out.nested.x.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('moves returned tensors to the enclosing scope', () => {
    const before = memory().numTensors;
    tidy(() => {
      const inner = tidy(() => ones([3]));
      expect(inner.isDisposed).toBe(false);
      return null;
    });
    expect(memory().numTensors).toBe(before);
  });

  it('spares kept tensors', () => {
    const before = memory().numTensors;
    let kept: Tensor | null = null;
    tidy(() => {
      kept = keep(ones([2]));
      ones([5]);
    });
    expect(memory().numTensors).toBe(before + 1);
    kept!.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('disposes everything when the function throws', () => {
    const before = memory().numTensors;
    expect(() =>
      tidy(() => {
        ones([3]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().numTensors).toBe(before);
  });

  it('rejects async functions and leaks nothing', () => {
    const before = memory().numTensors;
    expect(() => tidy((async () => ones([2])) as never)).toThrow(
      /tidy: expected a synchronous function/,
    );
    expect(memory().numTensors).toBe(before);
  });
});

describe('buffers and views', () => {
  it('views share the buffer, which lives until its last holder is disposed', () => {
    const before = memory();
    const x = randn([4, 6], { seed: 1 });
    const v = transpose(x);
    const s = slice(x, [1], [3]);
    const after = memory();
    expect(after.numBuffers).toBe(before.numBuffers + 1);
    expect(after.numBytes).toBe(before.numBytes + 4 * 6 * 4);
    x.dispose();
    expect(memory().numBuffers).toBe(before.numBuffers + 1);
    expect(s.dataSync().length).toBe(12);
    v.dispose();
    s.dispose();
    expect(memory().numBuffers).toBe(before.numBuffers);
    expect(memory().numBytes).toBe(before.numBytes);
  });

  it('reports tensors and bytes per backend', () => {
    const before = memory().backends.cpu ?? { numTensors: 0, numBytes: 0 };
    const t = tensor([1, 2, 3], { dtype: 'int32' });
    const b = tensor([true, false]);
    const now = memory().backends.cpu;
    expect(now.numTensors).toBe(before.numTensors + 2);
    expect(now.numBytes).toBe(before.numBytes + 3 * 4 + 2);
    t.dispose();
    b.dispose();
  });

  it('assign swaps the buffer without changing the counts', () => {
    const p = tensor([1, 2]);
    const before = memory();
    tidy(() => {
      p.assign(add(p, 1));
    });
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
    expect([...p.dataSync()]).toEqual([2, 3]);
    p.dispose();
  });
});
