/**
 * SGD's and Adam's option types are derived from core's update-kernel params
 * (SgdUpdateParams, AdamUpdateParams), so the hyperparameters are declared
 * once: checked by the type checker (`pnpm typecheck` covers tests), and at
 * run time every option the kernels take is accepted by name.
 */
import '@nerve/backend-cpu';
import { type AdamUpdateParams, type SgdUpdateParams, zeros } from '@nerve/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Adam, type AdamOptions, SGD, type SGDOptions } from '../src/index.js';

describe('optimizer option types', () => {
  it("SGDOptions has exactly the SGD kernel's hyperparameters, lr required", () => {
    expectTypeOf<keyof SGDOptions>().toEqualTypeOf<Exclude<keyof SgdUpdateParams, 'size'>>();
    expectTypeOf<SGDOptions['lr']>().toEqualTypeOf<number>();
    const p = zeros([2]);
    const all: Required<SGDOptions> = {
      lr: 0.1,
      momentum: 0.9,
      dampening: 0,
      weightDecay: 1e-4,
      nesterov: true,
    };
    expect(new SGD([p], all).paramGroups[0]).toMatchObject(all);
    p.dispose();
  });

  it("AdamOptions has the Adam kernel's hyperparameters, β₁ and β₂ as betas", () => {
    expectTypeOf<keyof AdamOptions>().toEqualTypeOf<
      | Exclude<
          keyof AdamUpdateParams,
          'size' | 'step' | 'decoupledWeightDecay' | 'beta1' | 'beta2'
        >
      | 'betas'
    >();
    const p = zeros([2]);
    const all: Required<AdamOptions> = {
      lr: 1e-3,
      betas: [0.8, 0.9],
      eps: 1e-6,
      weightDecay: 1e-2,
      amsgrad: true,
    };
    expect(new Adam([p], all).paramGroups[0]).toMatchObject({ ...all, betas: [0.8, 0.9] });
    p.dispose();
  });
});
