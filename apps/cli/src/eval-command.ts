/**
 * `nerve eval --checkpoint file.safetensors`: rebuilds the network from the
 * spec stored in the checkpoint, loads the weights and reports test accuracy.
 */
import { DataLoader } from '@nerve/data';
import { crossEntropy, loadSafetensors } from '@nerve/layers';
import { evaluate, loadCheckpoint } from '@nerve/train';
import { UsageError, type EvalArgs } from './args.js';
import { prepareData } from './datasets.js';
import { type ModelSpec, buildModel } from './models.js';

/** Reads the architecture spec from a checkpoint's header without loading tensors. */
async function readSpec(path: string): Promise<{ spec: ModelSpec; dataset: string }> {
  let meta: Record<string, string>;
  try {
    const loaded = await loadSafetensors(path);
    for (const t of Object.values(loaded.tensors)) t.dispose();
    meta = loaded.metadata;
  } catch (e) {
    throw new UsageError(`--checkpoint: cannot read '${path}': ${(e as Error).message}`);
  }
  if (!meta.nerve) {
    throw new UsageError(
      `--checkpoint: '${path}' has no nerve model description (was it written by nerve train --out?)`,
    );
  }
  return JSON.parse(meta.nerve);
}

export async function runEval(
  args: EvalArgs,
): Promise<{ testAccuracy: number; testLoss: number; dataset: string; count: number }> {
  const { spec, dataset } = await readSpec(args.checkpoint);
  const ds = (args.dataset ?? dataset) as 'digits' | 'fashion-mnist' | 'spiral';
  const model = buildModel(spec);
  await loadCheckpoint(args.checkpoint, model);
  const data = prepareData(ds, { image: spec.kind === 'cnn', dataDir: args.dataDir });
  const r = await evaluate(model, new DataLoader(data.test, { batchSize: 512 }), {
    loss: (out, y) => crossEntropy(out, y),
  });
  return { testAccuracy: r.accuracy, testLoss: r.loss, dataset: ds, count: r.count };
}
