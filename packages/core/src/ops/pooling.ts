/**
 * 2-D max and average pooling (NCHW), one kernel where the backend has the
 * kernels, otherwise windows gathered like im2col and reduced.
 */
import type { Conv2dParams } from '../backend.js';
import { composite, optionalKernel } from '../engine.js';
import { NerveError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { type Pair, convParams, pair, requireNCHW } from './conv-geometry.js';
import { windowTensor } from './conv.js';
import { indexSelect } from './indexing.js';
import { max, mean } from './reduce.js';
import { backendOf, contiguousData, record, requireFloat, wrap } from './util.js';
import { pad, reshape } from './views.js';

/** Options of `maxPool2d` and `avgPool2d`; each Pair is one number or [height, width]. */
export interface Pool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Pair;
  /** Padding on each side (default 0). */
  padding?: Pair;
  /** Max pooling only. */
  dilation?: Pair;
}

function poolParams(op: string, x: Tensor, kernelSize: Pair, opts: Pool2dOptions): Conv2dParams {
  requireFloat(op, x);
  requireNCHW(op, 'input', x.shape);
  const k = pair(op, 'kernelSize', kernelSize, 1);
  const padding = pair(op, 'padding', opts.padding ?? 0, 0);
  if (padding[0] > k[0] / 2 || padding[1] > k[1] / 2) {
    throw new NerveError(
      op,
      `padding at most half the kernel size ${k.join('×')}`,
      padding.join(','),
    );
  }
  return convParams(
    op,
    x.shape,
    x.shape[1],
    k,
    pair(op, 'stride', opts.stride ?? k, 1),
    padding,
    pair(op, 'dilation', opts.dilation ?? 1, 1),
  );
}

/** Windows of every plane as [N·C, KH·KW, OH·OW], padded with `fill`. */
function windows(x: Tensor, p: Conv2dParams, fill: number): Tensor {
  const planes = p.batch * p.inChannels;
  const xp =
    p.padH || p.padW
      ? pad(
          x,
          [
            [0, 0],
            [0, 0],
            [p.padH, p.padH],
            [p.padW, p.padW],
          ],
          fill,
        )
      : x;
  const cols = indexSelect(reshape(xp, [planes, -1]), 1, windowTensor(x, p, 1));
  return reshape(cols, [planes, p.kernelHeight * p.kernelWidth, p.outHeight * p.outWidth]);
}

const outShape = (p: Conv2dParams) => [p.batch, p.inChannels, p.outHeight, p.outWidth];

/**
 * Maximum over each window (padding never wins). The gradient goes to the
 * first maximal element of each window in row-major window order.
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: Pool2dOptions = {}): Tensor {
  const backend = backendOf('maxPool2d', x);
  const p = poolParams('maxPool2d', x, kernelSize, opts);
  const kernel = optionalKernel(backend, 'maxPool2d');
  const bwd = optionalKernel(backend, 'maxPool2dBackward');
  return composite([x], () => {
    if (!kernel) return reshape(max(windows(x, p, Number.NEGATIVE_INFINITY), 1), outShape(p));
    const xc = contiguousData(x);
    const { out, indices } = kernel(xc.id, p);
    xc.release();
    const y = wrap(backend, out, outShape(p), 'float32');
    const idx = wrap(backend, indices, outShape(p), 'int32');
    const planes = p.batch * p.inChannels;
    const m = p.outHeight * p.outWidth;
    return record(y, 'maxPool2d', [x], (dy) => {
      idx.assertAlive('maxPool2d backward');
      const dyc = contiguousData(dy);
      const iv = { id: idx.storage.id, strides: [m, 1, 0], offset: 0 };
      const g = bwd
        ? bwd(dyc.id, idx.storage.id, p)
        : backend.scatterAdd(iv, dyc.id, {
            dtype: 'float32',
            outer: planes,
            axisSize: p.inHeight * p.inWidth,
            indexSize: m,
            inner: 1,
          });
      dyc.release();
      return [wrap(backend, g, x.shape, 'float32')];
    });
  });
}

/** Mean over each window; padded zeros count in the divisor (PyTorch's default). */
export function avgPool2d(x: Tensor, kernelSize: Pair, opts: Pool2dOptions = {}): Tensor {
  const backend = backendOf('avgPool2d', x);
  if (opts.dilation !== undefined) {
    throw new NerveError(
      'avgPool2d',
      'no dilation (average pooling has none)',
      JSON.stringify(opts.dilation),
    );
  }
  const p = poolParams('avgPool2d', x, kernelSize, opts);
  const fwd = optionalKernel(backend, 'avgPool2d');
  const bwd = optionalKernel(backend, 'avgPool2dBackward');
  return composite([x], () => {
    if (!fwd || !bwd) return reshape(mean(windows(x, p, 0), 1), outShape(p));
    const xc = contiguousData(x);
    const y = wrap(backend, fwd(xc.id, p), outShape(p), 'float32');
    xc.release();
    return record(y, 'avgPool2d', [x], (dy) => {
      const dyc = contiguousData(dy);
      const g = wrap(backend, bwd(dyc.id, p), x.shape, 'float32');
      dyc.release();
      return [g];
    });
  });
}
