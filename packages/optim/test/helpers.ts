/** Shared test helpers: the PyTorch fixtures and the one comparison tolerance. */
import { readFileSync } from 'node:fs';
import { type Tensor, tensor, zeros } from '@nerve/core';
import { expect } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  ChainedScheduler,
  CosineAnnealingLR,
  ExponentialLR,
  type LRScheduler,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  type Optimizer,
  type ParamGroupOptions,
  type Params,
  RMSprop,
  ReduceLROnPlateau,
  SGD,
  SequentialLR,
  StepLR,
} from '../src/index.js';

export interface OptimizerCase {
  name: string;
  optimizer: 'sgd' | 'adagrad' | 'rmsprop' | 'adam' | 'adamw';
  options: Record<string, unknown>;
  group2: Record<string, unknown>;
  shapes: number[][];
  params: number[][];
  grads: (number[] | null)[][];
  after: number[][][];
}

export interface ClipCase {
  maxNorm: number;
  normType: number | 'Infinity';
  shapes: number[][];
  grads: number[][];
  totalNorm: number;
  clipped: number[][];
}

export interface SchedulerSpec {
  type: string;
  options?: Record<string, unknown>;
}

export interface SchedulerCase extends SchedulerSpec {
  name: string;
  optimizer: 'sgd' | 'adam';
  optimizerOptions?: Record<string, unknown>;
  groupLrs: number[];
  schedulers?: SchedulerSpec[];
  milestones?: number[];
  metrics?: number[];
  steps?: number;
  lrs: number[][];
  momentum?: number[][];
}

export const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8'),
) as { torch: string; optimizers: OptimizerCase[]; clip: ClipCase[]; schedulers: SchedulerCase[] };

/** The one tolerance for PyTorch comparisons: |a − b| ≤ 1e-6 + 1e-5·|b|. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (!(Math.abs(a - b) <= 1e-6 + 1e-5 * Math.abs(b))) {
      expect.fail(`${what}[${i}]: ${a} vs PyTorch ${b} (|diff| ${Math.abs(a - b)})`);
    }
  }
}

export const OPTIMIZERS = {
  sgd: (p: Params, o: Record<string, unknown>) => new SGD(p, o as never),
  adagrad: (p: Params, o: Record<string, unknown>) => new Adagrad(p, o),
  rmsprop: (p: Params, o: Record<string, unknown>) => new RMSprop(p, o),
  adam: (p: Params, o: Record<string, unknown>) => new Adam(p, o as never),
  adamw: (p: Params, o: Record<string, unknown>) => new AdamW(p, o as never),
} as const;

/** The fixture case's two parameters, in two groups (the second with overrides). */
export function buildCase(c: OptimizerCase): { params: Tensor[]; opt: Optimizer } {
  const params = c.params.map((v, i) =>
    tensor(v, { shape: c.shapes[i], requiresGrad: true }).keep(),
  );
  const groups: ParamGroupOptions[] = [
    { params: [params[0]] },
    { params: [params[1]], ...c.group2 },
  ];
  return { params, opt: OPTIMIZERS[c.optimizer](groups, c.options) };
}

/** Sets the fixture's gradients for `step` (null where PyTorch had none). */
export function setGrads(c: OptimizerCase, params: Tensor[], step: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    const g = c.grads[step][i];
    p.grad = g === null ? null : tensor(g, { shape: c.shapes[i] }).keep();
  });
}

const SIMPLE: Record<string, (o: Optimizer, opts: any) => LRScheduler> = {
  StepLR: (o, x) => new StepLR(o, x),
  MultiStepLR: (o, x) => new MultiStepLR(o, x),
  ExponentialLR: (o, x) => new ExponentialLR(o, x),
  CosineAnnealingLR: (o, x) => new CosineAnnealingLR(o, x),
  LinearLR: (o, x) => new LinearLR(o, x),
  OneCycleLR: (o, x) => new OneCycleLR(o, x),
  ReduceLROnPlateau: (o, x) => new ReduceLROnPlateau(o, x),
};

/** The fixture's optimizer: one tiny parameter per group, at the case's lrs. */
export function buildOptimizer(c: SchedulerCase): Optimizer {
  const groups = c.groupLrs.map((lr, i) => ({
    params: [zeros([2 + i], { requiresGrad: true })],
    lr,
  }));
  return c.optimizer === 'sgd'
    ? new SGD(groups, { lr: 0.1, ...c.optimizerOptions })
    : new Adam(groups, { lr: 0.1, ...c.optimizerOptions });
}

/** The fixture's scheduler (sub-schedulers built first, as in PyTorch). */
export function buildScheduler(opt: Optimizer, c: SchedulerCase): LRScheduler {
  const sub = (s: SchedulerSpec) => SIMPLE[s.type](opt, s.options ?? {});
  if (c.type === 'SequentialLR')
    return new SequentialLR(opt, c.schedulers!.map(sub), c.milestones!);
  if (c.type === 'ChainedScheduler') return new ChainedScheduler(c.schedulers!.map(sub));
  return sub(c);
}
