/**
 * Refusals name the module's path and class; composite modules of one's own
 * export through `registerOnnxExporter`; the file's bytes follow the
 * protobuf wire format.
 */
import '@nerve/backend-cpu';
import { type Tensor, add, relu } from '@nerve/core';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Flatten,
  Linear,
  Module,
  ReLU,
  Sequential,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import { describe, expect, it } from 'vitest';
import { type OnnxValue, exportOnnx, registerOnnxExporter } from '../src/index.js';
import { ProtoWriter } from '../src/protobuf.js';
import { ATOL, compare, randomInput, randomizeBatchNorm } from './helpers.js';

/** relu(bn(conv(x)) + x): a residual block of the test's own. */
class Residual extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(c: number, seed: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(c, c, 3, { padding: 1, bias: false, seed }));
    this.bn = this.registerModule('bn', new BatchNorm2d(c));
  }
  forward(x: Tensor): Tensor {
    return relu(add(this.bn.call(this.conv.call(x)), x));
  }
}

class Unknown extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

describe('registerOnnxExporter', () => {
  it('exports a residual block of your own (children, then Add and Relu)', async () => {
    registerOnnxExporter(Residual, (m, x: OnnxValue, ctx) => {
      const y = ctx.module(m.bn, 'bn', ctx.module(m.conv, 'conv', x));
      const sum = ctx.op('Add', [y.name, x.name], x.shape);
      return ctx.op('Relu', [sum.name], x.shape);
    });
    const model = new Sequential(
      new Residual(4, 1),
      new Residual(4, 2),
      new AdaptiveAvgPool2d(1),
      new Flatten(),
      new Linear(4, 3, { seed: 3 }),
    );
    randomizeBatchNorm(model, 5);
    const shape = [2, 4, 6, 6];
    const r = await compare(model, { inputShape: shape }, randomInput(shape, 1));
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
    model.dispose();
  });
});

describe('refusals', () => {
  it('names the path and class of a module without an exporter', async () => {
    const model = new Sequential(new Linear(3, 3), new Sequential(new ReLU(), new Unknown()));
    await expect(exportOnnx(model, { inputShape: [1, 3] })).rejects.toThrow(
      "exportOnnx: expected a module with an ONNX exporter (built-in, or added with registerOnnxExporter), received '1.1', a Unknown",
    );
    model.dispose();
  });

  it('refuses a BatchNorm without running statistics and unequal adaptive bins', async () => {
    const bn = new Sequential(new BatchNorm2d(2, { trackRunningStats: false }));
    await expect(exportOnnx(bn, { inputShape: [2, 2, 3, 3] })).rejects.toThrow(
      /'0' \(BatchNorm2d\) cannot be exported: it keeps no running statistics/,
    );
    const pool = new Sequential(new AdaptiveAvgPool2d(2));
    await expect(exportOnnx(pool, { inputShape: [1, 1, 5, 5] })).rejects.toThrow(
      /'0' \(AdaptiveAvgPool2d\) cannot be exported: output 2×2 does not divide the input's 5×5/,
    );
    bn.dispose();
  });

  it('checks its options', async () => {
    const m = new Linear(3, 2);
    await expect(exportOnnx(m, { inputShape: [] })).rejects.toThrow(
      /inputShape as positive integers/,
    );
    await expect(exportOnnx(m, { inputShape: [1, 3], opset: 9 })).rejects.toThrow(
      /opset an integer in \[13, 20\], received 9/,
    );
    await expect(
      exportOnnx(m, { inputShape: [1, 3], inputName: 'x', outputName: 'x' }),
    ).rejects.toThrow(/to differ/);
    await expect(
      exportOnnx(m, { inputShape: [1, 3], standardize: { mean: [1, 2], scale: [1, 2] } }),
    ).rejects.toThrow(/standardize with 3 values/);
    // A wrong input shape is nerve's own error, before anything is written.
    await expect(exportOnnx(m, { inputShape: [1, 4] })).rejects.toThrow(
      /Linear: expected a float32 input \[\.\.\., 3\]/,
    );
    m.dispose();
  });
});

describe('the protobuf writer', () => {
  it('writes varints, negative int64s, floats and nested messages as the wire format says', () => {
    const w = new ProtoWriter();
    w.int(1, 150); // the encoding guide's example: 08 96 01
    w.int(3, -1); // ten bytes of two's complement
    w.float(2, 1); // key 0x15, then 00 00 80 3f
    w.message(4, (m) => m.string(1, 'hi'));
    expect(Array.from(w.finish())).toEqual([
      0x08, 0x96, 0x01, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x15,
      0x00, 0x00, 0x80, 0x3f, 0x22, 0x04, 0x0a, 0x02, 0x68, 0x69,
    ]);
  });
});
