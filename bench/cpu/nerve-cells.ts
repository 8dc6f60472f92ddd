/**
 * nerve's matmul and training cells on whatever backend is current: shared by
 * `pnpm bench:cpu` (bench/cpu/nerve.ts) and `nerve bench` (apps/cli), so both
 * time the same work. A cell's `step` runs one product or one training step
 * (forward, cross-entropy, backward, optimizer, loss read back) and waits for
 * its result; `check` is a number every library must agree on (workloads.ts).
 */
import {
  type MatmulWorkload,
  type TrainWorkload,
  labels,
  matmulShapes,
  mlpWidths,
  paramValues,
  sizeOf,
  uniform,
} from './workloads.js';

type Core = typeof import('@nerve/core');

/** One timed unit of work; `dispose` frees what the cell keeps. */
export interface Cell {
  step: () => void | Promise<void>;
  check: number;
  dispose: () => void;
}

/** Σ|v| in float64: a check that two libraries computed the same product. */
export function sumAbs(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s;
}

/**
 * C = op(A)·op(B), transposed operands as views (as autograd passes them).
 * `sync` reads the product with dataSync (the CPU backend); otherwise with `await data()`.
 */
export async function matmulCell(core: Core, w: MatmulWorkload, sync = true): Promise<Cell> {
  const [sa, sb] = matmulShapes(w);
  const a = core.keep(core.tensor(uniform(sizeOf(sa), 1), { shape: sa }));
  const b = core.keep(core.tensor(uniform(sizeOf(sb), 2), { shape: sb }));
  const opA = w.transA ? core.transpose(a) : a;
  const opB = w.transB ? core.transpose(b) : b;
  const product = async (): Promise<ArrayLike<number>> => {
    const c = core.tidy(() => core.keep(core.matmul(opA, opB)));
    const v = sync ? c.dataSync() : await c.data();
    c.dispose();
    return v;
  };
  const step = sync
    ? () => core.tidy(() => void core.matmul(opA, opB).dataSync())
    : async () => void (await product());
  return {
    step,
    check: sumAbs(await product()),
    dispose: () => {
      for (const t of [opA, opB, a, b]) t.dispose();
    },
  };
}

/**
 * The workload's network (its MLP, or the small CNN) built from `layers`,
 * with the workload's shared initial weights, so the first loss can be
 * checked against the other libraries. Also used by bench/cpu/small-step.ts
 * and packages/backend-cpu/scripts/bench-mlp.ts.
 */
export function workloadModel(
  core: Core,
  layers: typeof import('@nerve/layers'),
  w: TrainWorkload,
): import('@nerve/layers').Sequential {
  const { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } = layers;
  const widths = mlpWidths(w);
  const model =
    w.kind === 'mlp'
      ? new Sequential(
          ...widths
            .slice(1)
            .flatMap((out, i) =>
              i < widths.length - 2
                ? [new Linear(widths[i], out), new ReLU()]
                : [new Linear(widths[i], out)],
            ),
        )
      : new Sequential(
          new Conv2d(1, 16, 3, { padding: 1 }),
          new ReLU(),
          new MaxPool2d(2),
          new Conv2d(16, 32, 3, { padding: 1 }),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(32 * 7 * 7, 10),
        );
  const names = model.namedParameters().map(([n]) => n);
  if (names.length !== w.params.length) {
    throw new Error(`${w.name}: model has ${names.length} parameters, workload ${w.params.length}`);
  }
  core.tidy(() => {
    const dict = Object.fromEntries(
      names.map((n, i) => [n, core.tensor(paramValues(w.params[i]), { shape: w.params[i].shape })]),
    );
    model.loadStateDict(dict);
  });
  return model;
}

/**
 * One training step of an MLP or the small CNN through @nerve/layers and
 * @nerve/optim, in `tidy` as packages/train/src/fit.ts does it, starting from
 * the workload's shared initial weights.
 */
export async function trainCell(core: Core, w: TrainWorkload): Promise<Cell> {
  const layers = await import('@nerve/layers');
  const { crossEntropy } = layers;
  const { Adam, SGD } = await import('@nerve/optim');
  const model = workloadModel(core, layers, w);
  const opt =
    w.optimizer === 'adam'
      ? new Adam(model.parameters(), { lr: w.lr })
      : new SGD(model.parameters(), { lr: w.lr });
  const x = core.keep(
    core.tensor(uniform(sizeOf(w.inputShape), w.inputSeed), { shape: w.inputShape }),
  );
  const y = core.keep(core.tensor(labels(w.inputShape[0], w.labelSeed, w.classes)));
  let last = Number.NaN;
  const step = async () => {
    const loss = core.tidy(() => {
      const l = crossEntropy(model.call(x), y);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l.detach();
    });
    last = (await loss.data())[0];
    loss.dispose();
  };
  await step();
  return {
    step,
    check: last,
    dispose: () => {
      x.dispose();
      y.dispose();
      opt.zeroGrad();
      for (const p of model.parameters()) p.dispose();
    },
  };
}
