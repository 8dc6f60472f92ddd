/**
 * The network of `pnpm bench:resnet`: `resnet18()` from @nerve/models, with
 * torchvision's structure and parameter names, so the same seeded values
 * go into the same parameters as in torch_resnet.py's torchvision model.
 */
import * as core from '@nerve/core';
import { type Module, crossEntropy } from '@nerve/layers';
import { resnet18 as build } from '@nerve/models';
import { labels, uniform } from '../cpu/workloads.js';
import { SETUP, initialValue } from './protocol.js';

/** The model and where it came from (printed in the benchmark's header). */
export interface Net {
  model: Module;
  source: string;
}

export async function resnet18(numClasses: number): Promise<Net> {
  return { model: build({ numClasses }), source: '@nerve/models resnet18()' };
}

/** The network ready to train on the current backend, as every nerve side of the benchmark runs it. */
export interface TrainingSetup extends Net {
  /** The parameters by name, sorted (the order `initialValue` numbers them in). */
  named: [string, core.Tensor][];
  /**
   * One step: forward (training mode) on SETUP's input batch, cross-entropy,
   * backward; the loss read back; gradients dropped.
   */
  step(): Promise<number>;
}

/**
 * resnet18 with SETUP's classes and seeded parameter values (as in
 * torch_resnet.py), in training mode, and its kept input batch and labels.
 * Call after the backend is set.
 */
export async function trainingSetup(): Promise<TrainingSetup> {
  const { batch, size, classes } = SETUP;
  const { model, source } = await resnet18(classes);
  const named = model.namedParameters().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  core.tidy(() => {
    const dict: Record<string, core.Tensor> = {};
    for (const [i, [name, p]] of named.entries()) {
      const v = initialValue(name, p.shape, i);
      dict[name] =
        typeof v === 'number' ? core.full(p.shape, v) : core.tensor(v, { shape: [...p.shape] });
    }
    model.loadStateDict(dict, { strict: false });
  });
  model.train();
  const x = core.keep(
    core.tensor(uniform(batch * 3 * size * size, SETUP.inputSeed), {
      shape: [batch, 3, size, size],
    }),
  );
  const y = core.keep(core.tensor(labels(batch, SETUP.labelSeed, classes)));
  const step = async (): Promise<number> => {
    const loss = core.tidy(() => {
      const l = crossEntropy(model.call(x), y);
      l.backward();
      model.zeroGrad();
      return l.detach();
    });
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  };
  return { model, source, named, step };
}
