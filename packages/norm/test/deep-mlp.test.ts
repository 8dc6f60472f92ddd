/**
 * What batch normalization is for (Ioffe & Szegedy 2015): in a deep tanh MLP
 * with a too-small initialization (W ~ 0.01·N(0, 1)), the pre-activations
 * shrink by about 0.01·√64 = 0.08 per layer until they vanish; with
 * BatchNorm after each linear map they keep a standard deviation of ≈ 1.
 */
import '@nerve/backend-cpu';
import { type Tensor, noGrad, randn, tidy } from '@nerve/core';
import { Module, Sequential } from '@nerve/layers';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d } from '../src/index.js';

const DEPTH = 8;
const WIDTH = 64;

/** A bias-free linear map with a deliberately tiny init. */
class Dense extends Module {
  readonly weight: Tensor;
  constructor(seed: number) {
    super();
    const w = tidy(() => randn([WIDTH, WIDTH], { seed }).mul(0.01));
    this.weight = this.registerParameter('weight', w);
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight);
  }
}

class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** Builds the MLP and returns the std of the input to every tanh, layer by layer. */
function preActivationStds(withBatchNorm: boolean): number[] {
  const layers: Module[] = [];
  const probes: Module[] = [];
  for (let l = 0; l < DEPTH; l++) {
    const dense = new Dense(100 + l);
    layers.push(dense);
    const pre = withBatchNorm ? new BatchNorm1d(WIDTH) : dense;
    if (withBatchNorm) layers.push(pre);
    probes.push(pre);
    layers.push(new Tanh());
  }
  const model = new Sequential(...layers).train();
  const stds: number[] = new Array(DEPTH);
  for (const [l, m] of probes.entries()) {
    m.registerForwardHook((_m, _in, out) => {
      const v = Array.from(out.dataSync());
      const mean = v.reduce((s, a) => s + a, 0) / v.length;
      stds[l] = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / v.length);
    });
  }
  const x = randn([256, WIDTH], { seed: 1 });
  tidy(() => noGrad(() => model.call(x)));
  x.dispose();
  model.dispose();
  return stds;
}

describe('BatchNorm in a deep MLP with a too-small init', () => {
  const plain = preActivationStds(false);
  const normed = preActivationStds(true);

  it('without BatchNorm the pre-activation std collapses layer by layer', () => {
    expect(plain[0]).toBeGreaterThan(0.04);
    expect(plain[0]).toBeLessThan(0.16);
    for (let l = 1; l < DEPTH; l++) expect(plain[l]).toBeLessThan(0.2 * plain[l - 1]);
    expect(plain[DEPTH - 1]).toBeLessThan(1e-6);
  });

  it('with BatchNorm it stays ≈ 1 at every depth', () => {
    for (const s of normed) {
      expect(s).toBeGreaterThan(0.98);
      expect(s).toBeLessThan(1.0001);
    }
    expect(normed[DEPTH - 1] / plain[DEPTH - 1]).toBeGreaterThan(1e6);
  });
});
