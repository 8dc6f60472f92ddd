/**
 * Bad input: every public op names itself, what it expected and what it got,
 * and a failed call leaves nothing behind.
 */
import '@nerve/backend-cpu';
import {
  add,
  arange,
  concat,
  eye,
  full,
  linspace,
  rand,
  randint,
  randn,
  conv2d,
  gather,
  matmul,
  maxPool2d,
  memory,
  oneHot,
  ones,
  reshape,
  sum,
  tensor,
  where,
  zeros,
} from '@nerve/core';
import { describe, expect, it } from 'vitest';

/** Asserts `fn` throws matching `message` and leaves the live-tensor count unchanged. */
function rejects(fn: () => unknown, message: RegExp | string): void {
  const before = memory().numTensors;
  expect(fn).toThrow(message);
  expect(memory().numTensors).toBe(before);
}

describe('shape errors name the op and both shapes', () => {
  it('matmul with mismatched inner dimensions', () => {
    const a = zeros([2, 3]);
    const b = zeros([4, 5]);
    rejects(() => matmul(a, b), 'matmul: [2,3] @ [4,5]: inner dimensions 3 and 4 differ');
  });

  it('elementwise ops with shapes that cannot broadcast', () => {
    const a = zeros([2, 3]);
    const b = zeros([4]);
    rejects(() => add(a, b), /^add: shapes \[2,3\] and \[4\] cannot be broadcast/);
  });

  it('concat with mismatched dimensions outside the axis', () => {
    const parts = [zeros([2, 3]), zeros([2, 4])];
    rejects(() => concat(parts, 0), /concat: shapes \[2,3\], \[2,4\] differ outside axis 0/);
  });

  it('reshape to a different number of elements', () => {
    const x = zeros([2, 3]);
    rejects(() => reshape(x, [4, 2]), /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
  });

  it('conv2d with mismatched channels', () => {
    const x = zeros([1, 3, 8, 8]);
    const w = zeros([4, 2, 3, 3]);
    rejects(
      () => conv2d(x, w),
      'conv2d: input [1,3,8,8] has 3 channels but weight [4,2,3,3] expects 2',
    );
  });

  it('pooling windows larger than the input', () => {
    const x = zeros([1, 1, 2, 2]);
    rejects(() => maxPool2d(x, 3), /maxPool2d: input \[1,1,2,2\] is too small/);
  });
});

describe('dtype errors', () => {
  it('matmul of int32 tensors', () => {
    const a = zeros([2, 2], { dtype: 'int32' });
    const b = zeros([2, 2]);
    rejects(() => matmul(a, b), /matmul: expected float32 tensors, received a int32 tensor/);
  });

  it('where with a non-bool condition', () => {
    const c = ones([2]);
    rejects(() => where(c, 1, 0), /where: expected a bool condition, received a float32 tensor/);
  });

  it('gather with a float index', () => {
    const x = zeros([2, 2]);
    const i = zeros([2, 1]);
    rejects(
      () => gather(x, 1, i),
      /gather: expected an int32 index tensor, received a float32 tensor/,
    );
  });

  it('requiresGrad on an integer tensor', () => {
    const t = zeros([2], { dtype: 'int32' });
    expect(() => {
      t.requiresGrad = true;
    }).toThrow(/requiresGrad: expected a float32 tensor, received a int32 tensor/);
    expect(t.requiresGrad).toBe(false);
  });

  it('an unknown dtype', () => {
    rejects(() => zeros([2], { dtype: 'float64' as never }), /zeros: expected a dtype/);
  });
});

describe('axes, sizes and values', () => {
  it('an axis out of range', () => {
    const x = zeros([2, 3]);
    rejects(
      () => sum(x, 2),
      /sum: expected an axis in \[-2, 1\] for a tensor of rank 2, received 2/,
    );
    rejects(() => sum(x, -3), /sum: expected an axis in \[-2, 1\]/);
  });

  it('non-finite, negative and fractional sizes', () => {
    rejects(
      () => zeros([2, Number.NaN]),
      /zeros: expected a shape of finite non-negative integers, received \[2,NaN\]/,
    );
    rejects(
      () => zeros([Number.POSITIVE_INFINITY]),
      /zeros: expected a shape of finite non-negative integers/,
    );
    rejects(
      () => ones([-1]),
      /ones: expected a shape of finite non-negative integers, received \[-1\]/,
    );
    rejects(() => zeros([2.5]), /zeros: expected a shape/);
  });

  it('a tensor too large to allocate is refused by name before anything is allocated', () => {
    const limit =
      /at most 2147483647 \(2\^31 − 1\) elements in one tensor, received shape \[1000000,1000000\], 1\.000e\+12 elements/;
    for (const [op, fn] of [
      ['zeros', () => zeros([1e6, 1e6])],
      ['ones', () => ones([1e6, 1e6])],
      ['full', () => full([1e6, 1e6], 2)],
      ['rand', () => rand([1e6, 1e6])],
      ['randn', () => randn([1e6, 1e6])],
      ['randint', () => randint(0, 3, [1e6, 1e6])],
      ['eye', () => eye(1e6)],
    ] as const) {
      rejects(fn, new RegExp(`^${op}: expected ${limit.source}`));
    }
    rejects(
      () => arange(0, 1e12),
      /arange: expected at most 2147483647 .* received shape \[1000000000000\]/,
    );
    rejects(() => linspace(0, 1, 2 ** 31), /linspace: expected at most 2147483647/);
    // Broadcasting two existing tensors into one too large.
    const a = zeros([1e5, 1]);
    const b = zeros([1, 1e5]);
    rejects(
      () => add(a, b),
      /add: expected at most 2147483647 .* received shape \[100000,100000\]/,
    );
    a.dispose();
    b.dispose();
    // A kernel output the core did not size up front: the cpu backend refuses it by name.
    const col = zeros([1e5, 1]);
    const row = zeros([1, 1e5]);
    rejects(
      () => matmul(col, row),
      /cpu alloc: expected at most 2147483647 .* received 10000000000 float32 elements/,
    );
    col.dispose();
    row.dispose();
    // A view allocates nothing, so it may be larger.
    const s = zeros([1, 1]);
    const big = s.expand([1e5, 1e5]);
    expect(big.shape).toEqual([1e5, 1e5]);
    big.dispose();
    s.dispose();
  });

  it('ragged nested arrays', () => {
    rejects(
      () => tensor([[1, 2], [3]]),
      'tensor: ragged nested array: expected length 2 at [1], received length 1',
    );
    rejects(() => tensor([[1, 2], 3] as never), /tensor: ragged nested array/);
    rejects(
      () => tensor([1, 'a'] as never),
      /tensor: expected a number or boolean at \[1\], received "a"/,
    );
  });

  it('flat values that do not fill the shape', () => {
    rejects(
      () => tensor(new Float32Array(5), { shape: [2, 3] }),
      /tensor: shape \[2,3\] needs 6 values, received 5/,
    );
  });

  it('class indices outside the range of oneHot', () => {
    const labels = tensor([0, 3], { dtype: 'int32' });
    rejects(
      () => oneHot(labels, 3),
      /oneHot: expected class indices in \[0, 3\), received 3 at position 1/,
    );
  });
});

describe('disposed tensors', () => {
  it('cannot be used, and the message names the op and the tensor', () => {
    const x = ones([2, 2]);
    x.dispose();
    expect(() => add(x, 1)).toThrow(/add: tensor #\d+ \(\[2,2\] float32\) was disposed/);
    expect(() => x.dataSync()).toThrow(/dataSync: tensor #\d+ .* was disposed/);
    expect(() => matmul(x, x)).toThrow(/matmul: .*disposed/);
  });

  it('can be disposed twice without harm', () => {
    const before = memory().numTensors;
    const x = ones([3]);
    x.dispose();
    x.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('failed calls change nothing', () => {
  it('a failed assign keeps the old values', () => {
    const p = tensor([1, 2, 3]);
    expect(() => p.assign(zeros([4]))).toThrow(
      /assign: expected a float32 tensor of shape \[3\], received a float32 tensor of shape \[4\]/,
    );
    expect([...p.dataSync()]).toEqual([1, 2, 3]);
  });
});

describe('backends', () => {
  it('a backend that cannot start says why and names the registered alternatives', async () => {
    const core = await import('@nerve/core');
    let attempts = 0;
    core.registerBackend(
      'test-broken',
      () =>
        ({
          name: 'test-broken',
          init: async () => {
            attempts++;
            throw new Error('no adapter here');
          },
        }) as unknown as import('@nerve/core').Backend,
      -10,
    );
    await expect(core.ready('test-broken')).rejects.toThrow(
      /ready: backend 'test-broken' could not start: no adapter here; backends registered here: .*cpu/,
    );
    // Not cached: a second call tries again.
    await expect(core.ready('test-broken')).rejects.toThrow(/could not start/);
    expect(attempts).toBe(2);
  });

  it('mixing backends in one op is refused; toBackend moves a tensor explicitly', async () => {
    const core = await import('@nerve/core');
    const { CpuBackend } = await import('@nerve/backend-cpu');
    core.registerBackend('test-cpu2', () => new CpuBackend(), -10);
    const a = core.tensor([1, 2, 3]);
    const b = await core.toBackend(a, 'test-cpu2');
    expect(b.backend.name).toBe('cpu');
    expect(b.backend).not.toBe(a.backend);
    expect([...(await b.data())]).toEqual([1, 2, 3]);
    expect(b.shape).toEqual([3]);
    expect(() => core.add(a, b)).toThrow(/add: all tensors must be on one backend/);
    a.dispose();
    b.dispose();
  });
});
