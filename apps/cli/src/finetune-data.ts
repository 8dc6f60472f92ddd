/**
 * `nerve finetune --from W.safetensors (--images DIR | --csv F | --dataset D)`:
 * finetuning a pretrained network on data of the user's own. The weights
 * load strictly except the head, which is new, sized for the data's classes
 * (a head of another size in the file is explained, not an error; any other
 * mismatch is an error naming the keys). What trains is chosen as PyTorch
 * users do: `--freeze backbone` trains the head alone, `--unfreeze-last N`
 * the head and the last N stages of the backbone, and by default everything,
 * with discriminative learning rates: the head at --lr, the pretrained
 * layers at --lr × --backbone-lr-mult (two PyTorch param groups). Frozen
 * BatchNorm layers stay in evaluation mode (their running statistics are the
 * pretrained ones). The checkpoint saved with --out is one nerve eval and
 * nerve predict read.
 */
import { NerveError, type Tensor, manualSeed, tidy } from '@nerve/core';
import { DataLoader } from '@nerve/data';
import {
  type Module,
  crossEntropy,
  loadSafetensors,
  mseLoss,
  readSafetensorsHeader,
} from '@nerve/layers';
import { ImageClassifier } from '@nerve/models';
import { type Optimizer, createOptimizer } from '@nerve/optim';
import { discriminativeParamGroups, evaluate, fit, saveCheckpoint } from '@nerve/train';
import type { ArchArgs, DataArgs, OPTIMIZERS } from './args.js';
import { checkpointDescription, loadData, trainLoader } from './datasets.js';
import { checkWritable } from './out-path.js';
import { parseSpec } from './eval-command.js';
import {
  type ModelSpec,
  buildModel,
  describeModel,
  specFor,
  stemOf,
  stemWeightFor,
} from './models.js';

const OP = 'nerve finetune';

/** The flags of `nerve finetune` on data of the user's own. */
export interface FinetuneDataArgs extends DataArgs, ArchArgs {
  /** Finetuning on data (a data flag given), not the Fashion demo. */
  mode: 'data';
  /** The pretrained weights: torchvision's names (with --model) or a nerve checkpoint. */
  from: string;
  /** Whether --model was given (otherwise a nerve checkpoint's own spec is used). */
  modelGiven: boolean;
  freeze: 'backbone' | 'none';
  /** Train the head and the last N stages of the backbone only. */
  unfreezeLast?: number;
  lr: number;
  backboneLrMult: number;
  optimizer: (typeof OPTIMIZERS)[number];
  epochs: number;
  batchSize: number;
  seed: number;
  out?: string;
  json: boolean;
}

/** What a finetuning run did. */
export interface FinetuneDataResult {
  dataset: string;
  model: ModelSpec;
  /** The head's dotted name and the shapes of its weight in the file and now. */
  head: { name: string; file?: number[]; now: number[] };
  /** Names of the parameters that trained (by stage), and how many were frozen. */
  trainable: number;
  frozen: number;
  /** The learning rate of each param group. */
  groups: { name: string; lr: number; params: number }[];
  epochs: number;
  history: { epoch: number; trainLoss: number; valLoss?: number; valAccuracy?: number }[];
  testAccuracy: number;
  testLoss: number;
  seconds: number;
  checkpoint?: string;
}

/** The head's dotted module name and the backbone's stages, as freeze patterns. */
export function headAndStages(model: Module): { head: string; stages: (string | RegExp)[] } {
  if (model instanceof ImageClassifier) {
    return { head: model.headLinearName, stages: [...model.stages] };
  }
  // nerve's own Sequential: the last child is the head; the stages are the other
  // children with parameters (the convolutions or dense layers, their BatchNorms).
  const kids = model.namedChildren();
  const head = kids[kids.length - 1][0];
  const stages = kids
    .slice(0, -1)
    .filter(([, m]) => m.parameters().length > 0)
    .map(([n]) => n);
  return { head, stages };
}

/**
 * Loads the file's weights into `model` strictly, except the head (left new):
 * a missing or unexpected key or a shape mismatch anywhere else is an error
 * naming the keys, and nothing of the file is kept. A one-channel model gets
 * an RGB stem summed over its channels (models.ts: stemWeightFor).
 */
async function loadBackbone(
  model: Module,
  path: string,
  head: string,
  channels: number | undefined,
): Promise<number[] | undefined> {
  const { tensors } = await loadSafetensors(path);
  const isHead = (k: string) => k.startsWith(`${head}.`);
  let fileHead: number[] | undefined;
  const dict: Record<string, Tensor> = {};
  const stem = channels === undefined ? undefined : `${stemOf(model)[0]}.weight`;
  try {
    for (const [k, t] of Object.entries(tensors)) {
      if (k === `${head}.weight`) fileHead = [...t.shape];
      if (isHead(k)) continue;
      dict[k] = k === stem ? stemWeightFor(t, channels as number) : t;
    }
    const r = tidy(() => model.loadStateDict(dict, { strict: false }));
    const missing = r.missingKeys.filter((k) => !isHead(k));
    if (missing.length > 0 || r.unexpectedKeys.length > 0) {
      const list = (ks: string[]) =>
        ks.length > 8 ? `${ks.slice(0, 8).join(', ')}, … (${ks.length})` : ks.join(', ');
      throw NerveError.raw(
        OP,
        `${path} does not hold this network's backbone: ${[
          missing.length ? `missing ${list(missing)}` : '',
          r.unexpectedKeys.length ? `unexpected ${list(r.unexpectedKeys)}` : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
      );
    }
  } catch (e) {
    if (e instanceof NerveError && e.message.startsWith(OP)) throw e;
    throw NerveError.raw(OP, `${path} does not fit the network: ${(e as Error).message}`);
  } finally {
    for (const t of new Set([...Object.values(tensors), ...Object.values(dict)])) t.dispose();
  }
  return fileHead;
}

/** The spec a nerve checkpoint describes (undefined for other files, torchvision's). */
async function checkpointSpec(path: string): Promise<ModelSpec | undefined> {
  const header = await readSafetensorsHeader(path);
  if (!Object.hasOwn(header.metadata, 'nerve')) return undefined;
  return parseSpec(path, header.metadata.nerve).spec;
}

/**
 * The network to finetune: --model's (torchvision-named weights need it), or
 * the one a nerve checkpoint describes, sized for the data's input and classes.
 */
function specToFinetune(
  args: FinetuneDataArgs,
  saved: ModelSpec | undefined,
  data: { inputShape: number[]; classes: number },
): ModelSpec {
  if (args.modelGiven || saved === undefined) {
    if (!args.modelGiven) {
      throw NerveError.raw(
        OP,
        `${args.from} has no nerve model description: name its network with --model (resnet18, …)`,
      );
    }
    return specFor(args, data, args.seed);
  }
  return { ...saved, inputShape: data.inputShape, classes: data.classes, seed: args.seed };
}

/** Finetunes as the flags say; progress lines go to `log`. */
export async function runFinetuneData(
  args: FinetuneDataArgs,
  log: (line: string) => void,
): Promise<FinetuneDataResult> {
  const started = performance.now();
  if (args.out) checkWritable('out', args.out);
  manualSeed(args.seed);
  const saved = args.modelGiven ? undefined : await checkpointSpec(args.from);
  const data = loadData(args, saved?.kind ?? args.model);
  // The model, the optimizer's state and the data are freed on every path (the result holds numbers).
  let model: Module | undefined;
  let optimizer: Optimizer | undefined;
  try {
    const spec = specToFinetune(args, saved, data);
    model = buildModel(spec);
    const { head, stages } = headAndStages(model);
    const channels = spec.kind === 'mlp' ? undefined : spec.inputShape[0];
    const fileHead = await loadBackbone(model, args.from, head, channels);
    const nowHead = [...(model.stateDict()[`${head}.weight`]?.shape ?? [])];
    log(
      fileHead === undefined
        ? `head ${head}: none in ${args.from} (a backbone only); a new one ${JSON.stringify(nowHead)} for ${data.classes} classes`
        : `head ${head}: ${JSON.stringify(fileHead)} in ${args.from} replaced by a new ${JSON.stringify(nowHead)} for the ${data.classes} classes of ${data.name}${fileHead.join() === nowHead.join() ? '' : ' (a head of another size is expected: it served other classes)'}`,
    );
    if (args.freeze === 'backbone' || args.unfreezeLast !== undefined) {
      const n = args.unfreezeLast ?? 0;
      if (n > stages.length) {
        throw NerveError.raw(
          OP,
          `--unfreeze-last ${n}: ${spec.kind} has ${stages.length} stages (${stages.map(String).join(', ')})`,
        );
      }
      model.freeze();
      model.unfreeze(head);
      for (const s of stages.slice(stages.length - n)) model.unfreeze(s);
    }
    const groups = discriminativeParamGroups(model, [{ pattern: head, lr: args.lr }], {
      defaultLr: args.lr * args.backboneLrMult,
    });
    optimizer = createOptimizer(args.optimizer, groups, { lr: args.lr });
    const named = model.namedParameters();
    const trainable = named.filter(([, p]) => p.requiresGrad).length;
    const lrs = groups.map((g) => ({
      name: g.name === 'default' ? 'backbone' : g.name,
      lr: g.lr as number,
      params: g.params.length,
    }));
    log(
      `nerve finetune: ${describeModel(spec)} from ${args.from} on ${data.name} (${data.train.length} train / ${data.val.length} val / ${data.test.length} test), ${trainable} of ${named.length} parameter tensors train (${lrs.map((g) => `${g.name} lr ${g.lr}`).join(', ')}), ${args.optimizer}, batch ${args.batchSize}, ${args.epochs} epochs, seed ${args.seed}`,
    );
    const regression = args.table?.task === 'regression';
    const loss = regression
      ? (out: Tensor, y: Tensor) => mseLoss(out, y)
      : (out: Tensor, y: Tensor) => crossEntropy(out, y);
    const history = await fit(model, {
      train: trainLoader(data.train, {
        batchSize: args.batchSize,
        seed: args.seed,
        augment: args.images?.augment,
      }),
      val: new DataLoader(data.val, { batchSize: 256 }),
      epochs: args.epochs,
      optimizer,
      loss,
      accuracy: !regression,
      callbacks: [
        {
          onEpochEnd: (r) =>
            log(
              `epoch ${r.epoch}/${args.epochs}  train loss ${r.trainLoss.toFixed(4)}${r.valLoss === undefined ? '' : `  val loss ${r.valLoss.toFixed(4)}`}${r.valAccuracy === undefined ? '' : `  val acc ${(100 * r.valAccuracy).toFixed(1)}%`}`,
            ),
        },
      ],
    });
    const test = await evaluate(model, new DataLoader(data.test, { batchSize: 256 }), {
      loss,
      accuracy: !regression,
    });
    if (args.out) {
      await saveCheckpoint(args.out, model, {
        optimizer,
        epoch: history.length,
        metadata: {
          nerve: checkpointDescription(spec, data, args.dataset, { finetunedFrom: args.from }),
        },
      });
    }
    return {
      dataset: data.name,
      model: spec,
      head: { name: head, ...(fileHead ? { file: fileHead } : {}), now: nowHead },
      trainable,
      frozen: named.length - trainable,
      groups: lrs,
      epochs: history.length,
      history: history.map((h) => ({
        epoch: h.epoch,
        trainLoss: h.trainLoss,
        ...(h.valLoss === undefined ? {} : { valLoss: h.valLoss }),
        ...(h.valAccuracy === undefined ? {} : { valAccuracy: h.valAccuracy }),
      })),
      testAccuracy: regression ? Number.NaN : test.accuracy,
      testLoss: test.loss,
      seconds: (performance.now() - started) / 1000,
      ...(args.out ? { checkpoint: args.out } : {}),
    };
  } finally {
    optimizer?.disposeState();
    model?.dispose();
    data.train.dispose();
    data.val.dispose();
    data.test.dispose();
  }
}

/** The human-readable end of a finetuning run. */
export function formatFinetuneData(r: FinetuneDataResult): string {
  return [
    `test accuracy ${(100 * r.testAccuracy).toFixed(2)}%  test loss ${r.testLoss.toFixed(4)}  (${r.epochs} epochs, ${r.seconds.toFixed(1)} s; ${r.trainable} parameter tensors trained, ${r.frozen} frozen)`,
    ...(r.checkpoint ? [`saved ${r.checkpoint}`] : []),
  ].join('\n');
}
