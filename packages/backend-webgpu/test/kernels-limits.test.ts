import type { MatmulParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { GpuContext } from '../src/context.js';
import { matmul } from '../src/kernels/matmul.js';
import { reduce } from '../src/kernels/reduce.js';
import { softmax } from '../src/kernels/softmax.js';
import { available, ctx, expectClose, randoms, read, upload } from './kernels-util.js';

/**
 * The kernels on a device that allows only 128 invocations per workgroup
 * (WebGPU's compatibility-mode default): the same device, with the limit the
 * kernels see lowered, so the smaller-workgroup variants run.
 */
describe.runIf(available)('webgpu kernels under a 128-invocation limit', () => {
  const small = () =>
    new GpuContext(ctx!.device, { ...ctx!.limits, maxWorkgroupSize: 128 }, ctx!.features);

  it('matmul (tiled and small-side), reduce and softmax', async () => {
    const c = small();
    for (const [m, k, n] of [
      [70, 33, 130],
      [2, 600, 90],
    ]) {
      const p: MatmulParams = {
        batch: 1,
        m,
        k,
        n,
        transA: false,
        transB: true,
        aBatchStride: 0,
        bBatchStride: 0,
      };
      const a = randoms(m * k, 1);
      const b = randoms(k * n, 2);
      const want = new Float64Array(m * n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++)
          for (let q = 0; q < k; q++) want[i * n + j] += a[i * k + q] * b[j * k + q];
      const got = matmul(c, upload(a, 'float32'), upload(b, 'float32'), p);
      expectClose(await read(got, c), want, 1e-4, 1e-4);
    }
    const x = randoms(3 * 5000, 3);
    const s = reduce(c, 'argmax', upload(x, 'float32'), 'float32', 3, 5000, 1);
    const want = [0, 1, 2].map((r) => {
      let best = 0;
      for (let j = 1; j < 5000; j++) if (x[r * 5000 + j] > x[r * 5000 + best]) best = j;
      return best;
    });
    expect(Array.from(await read(s, c))).toEqual(want);
    const sm = softmax(c, upload(x, 'float32'), 3, 5000);
    const row = await read(sm, c);
    expectClose([Array.from(row.slice(0, 5000)).reduce((t, v) => t + v, 0)], [1], 1e-4, 1e-5);
  });
});
