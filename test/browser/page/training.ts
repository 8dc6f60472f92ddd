/**
 * A few training steps of a small MLP (@nerve/layers + @nerve/optim SGD with
 * momentum) on a fixed-seed toy problem, run once per backend in the page so
 * the test can compare webgpu's losses with cpu's step by step.
 */
import { memory, ready, setBackend, tensor, tidy } from '@nerve/core';
import { Linear, Sequential, Tanh, crossEntropy } from '@nerve/layers';
import { SGD } from '@nerve/optim';
// mulberry32: the toy data come from the host, identical for every backend.
import { rng } from '@nerve/core/testing';

const N = 64;
const CLASSES = 3;

/** N points in [-1, 1)², labelled by the sector of their angle (3 classes). */
function toyProblem(): { x: Float32Array; y: Int32Array } {
  const r = rng(2024);
  const x = new Float32Array(N * 2);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const a = 2 * r() - 1;
    const b = 2 * r() - 1;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = Math.floor(((Math.atan2(b, a) + Math.PI) / (2 * Math.PI)) * CLASSES) % CLASSES;
  }
  return { x, y };
}

/** What one backend's run reports. */
export interface TrainingRun {
  losses: number[];
  /** Milliseconds of each step (the first compiles the kernels it needs). */
  stepMs: number[];
  /** Live tensors after the first step and after the last (a step must not leak). */
  tensorsAfterFirst: number;
  tensorsAfterLast: number;
  ms: number;
}

/** `steps` full-batch SGD steps on `backend`; the weights come from fixed layer seeds. */
export async function trainOn(backend: string, steps: number): Promise<TrainingRun> {
  await ready(backend);
  setBackend(backend);
  const t0 = performance.now();
  const { x, y } = toyProblem();
  const xs = tensor(x, { shape: [N, 2] });
  const ys = tensor(y);
  const model = new Sequential(
    new Linear(2, 16, { seed: 11 }),
    new Tanh(),
    new Linear(16, CLASSES, { seed: 12 }),
  );
  const opt = new SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
  const losses: number[] = [];
  const stepMs: number[] = [];
  let tensorsAfterFirst = 0;
  try {
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      const loss = tidy(() => {
        const l = crossEntropy(model.call(xs), ys);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.detach();
      });
      losses.push((await loss.data())[0]);
      loss.dispose();
      stepMs.push(Math.round(performance.now() - start));
      if (i === 0) tensorsAfterFirst = memory().numTensors;
    }
    return {
      losses,
      stepMs,
      tensorsAfterFirst,
      tensorsAfterLast: memory().numTensors,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    opt.disposeState();
    model.dispose();
    xs.dispose();
    ys.dispose();
  }
}
