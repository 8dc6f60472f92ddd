/**
 * Loading the PyTorch fixtures (fixtures/make_fixtures.py) and comparing
 * against them with the project's one tolerance: |a − b| ≤ 1e-6 + 1e-5·|b|.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, tensor } from '@nerve/core';
import { expect } from 'vitest';
import {
  AvgPool2d,
  AdaptiveAvgPool2d,
  Conv2d,
  Dropout,
  ELU,
  Flatten,
  GELU,
  GlobalAvgPool2d,
  Identity,
  LeakyReLU,
  Linear,
  MaxPool2d,
  Maxout,
  type Module,
  PReLU,
  ReLU6,
  ReLU,
  SELU,
  Sequential,
  SiLU,
  Sigmoid,
  Softplus,
  Tanh,
} from '../src/index.js';

export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: 'int32';
}

export interface LayerSpec {
  type: string;
  args?: Record<string, any>;
  layers?: LayerSpec[];
  eval?: boolean;
}

export interface LayerCase {
  name: string;
  spec: LayerSpec;
  params: Record<string, FixtureTensor>;
  input: FixtureTensor;
  r: FixtureTensor;
  output: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

export interface LossCase {
  name: string;
  fn: string;
  opts: Record<string, any>;
  input: FixtureTensor;
  target: FixtureTensor;
  value: FixtureTensor;
  grad: FixtureTensor;
  r?: FixtureTensor;
  extra?: Record<string, FixtureTensor>;
}

export interface Fixtures {
  torch: string;
  layers: LayerCase[];
  losses: LossCase[];
  l2Penalty: {
    strength: number;
    params: FixtureTensor[];
    value: FixtureTensor;
    grads: FixtureTensor[];
  };
}

const here = dirname(fileURLToPath(import.meta.url));

export function loadFixtures(): Fixtures {
  return JSON.parse(readFileSync(join(here, 'fixtures', 'layers.json'), 'utf8'));
}

/** A nerve tensor holding a fixture's values. */
export function toTensor(f: FixtureTensor): Tensor {
  return tensor(f.dtype === 'int32' ? Int32Array.from(f.data) : Float32Array.from(f.data), {
    shape: f.shape,
  });
}

export const ATOL = 1e-6;
export const RTOL = 1e-5;

/** Asserts shape equality and |a − b| ≤ ATOL + RTOL·|b| elementwise. */
export function expectClose(actual: Tensor, expected: FixtureTensor, what: string): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const a = actual.dataSync();
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const b = expected.data[i];
    const excess = Math.abs(a[i] - b) - (ATOL + RTOL * Math.abs(b));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what}: element ${worst} is ${a[worst]}, PyTorch ${expected.data[worst]} (beyond tolerance by ${worstExcess})`,
    );
  }
}

/** The nerve module for a fixture spec (same constructor arguments). */
export function buildLayer(spec: LayerSpec): Module {
  const a = spec.args ?? {};
  const pair = (v: unknown) => v as number | [number, number];
  switch (spec.type) {
    case 'Linear':
      return new Linear(a.inFeatures, a.outFeatures, { bias: a.bias ?? true });
    case 'Conv2d':
      return new Conv2d(a.inChannels, a.outChannels, pair(a.kernelSize), {
        stride: a.stride,
        padding: a.padding,
        dilation: a.dilation,
        groups: a.groups,
        bias: a.bias ?? true,
      });
    case 'AdaptiveAvgPool2d':
      return new AdaptiveAvgPool2d(a.outputSize);
    case 'MaxPool2d':
      return new MaxPool2d(pair(a.kernelSize), {
        stride: a.stride,
        padding: a.padding,
        dilation: a.dilation,
      });
    case 'AvgPool2d':
      return new AvgPool2d(pair(a.kernelSize), { stride: a.stride, padding: a.padding });
    case 'Flatten':
      return new Flatten(a.startDim, a.endDim);
    case 'GlobalAvgPool2d':
      return new GlobalAvgPool2d();
    case 'Dropout':
      return new Dropout(a.p);
    case 'Maxout':
      return new Maxout(a.inFeatures, a.outFeatures, a.pieces);
    case 'PReLU':
      return new PReLU(a.numParameters, a.init);
    case 'LeakyReLU':
      return new LeakyReLU(a.negativeSlope);
    case 'ELU':
      return new ELU(a.alpha);
    case 'GELU':
      return new GELU(a.approximate);
    case 'Softplus':
      return new Softplus(a.beta);
    case 'Identity':
      return new Identity();
    case 'Sigmoid':
      return new Sigmoid();
    case 'Tanh':
      return new Tanh();
    case 'ReLU':
      return new ReLU();
    case 'ReLU6':
      return new ReLU6();
    case 'SELU':
      return new SELU();
    case 'SiLU':
      return new SiLU();
    case 'Sequential':
      return new Sequential(...(spec.layers ?? []).map(buildLayer));
    default:
      throw new Error(`no builder for ${spec.type}`);
  }
}
