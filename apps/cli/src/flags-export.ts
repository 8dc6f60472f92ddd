/**
 * The flags of `nerve export` (see commands.ts).
 */
import { checkpointFlag, dataDir, json } from './flags-common.js';
import type { CommandDef } from './flags.js';

/** The @nerve/models networks `nerve export --model` builds. */
export const PRETRAINED_MODELS = ['resnet18', 'resnet34', 'mobilenetV2'] as const;

/** `nerve export`. */
export const EXPORT: CommandDef = {
  name: 'export',
  summary: 'write a checkpoint as an ONNX model, to serve it with onnxruntime or any ONNX runtime',
  flags: [
    checkpointFlag('a checkpoint written by nerve train --out'),
    {
      name: 'onnx',
      kind: 'string',
      placeholder: 'FILE.onnx',
      defaultText: 'required',
      description: 'where to write the ONNX model (replaced atomically)',
    },
    {
      name: 'model',
      kind: 'choice',
      values: PRETRAINED_MODELS,
      placeholder: 'NAME',
      defaultText: "the checkpoint's description",
      description:
        'export a state dict with torchvision names (no nerve description) as this @nerve/models network',
    },
    {
      name: 'size',
      kind: 'int',
      min: 16,
      max: 4096,
      default: 224,
      placeholder: 'N',
      description: 'with --model: the input images are 3×N×N (any batch size)',
    },
    {
      name: 'imagenet-normalize',
      kind: 'boolean',
      default: false,
      description:
        "with --model: fold torchvision's ImageNet normalization into the graph, so it takes RGB in [0, 1]",
    },
    {
      name: 'opset',
      kind: 'int',
      min: 13,
      max: 20,
      default: 17,
      placeholder: 'N',
      description: 'ONNX operator set (17 runs on onnxruntime 1.13+, TensorRT 8.6+, OpenVINO)',
    },
    dataDir,
    json,
  ],
  notes: [
    "The graph takes raw inputs: the training run's standardization is folded into it (Sub, Div), so feed what you fed nerve train (pixels, table columns as encoded), batch first, any batch size.",
    'For the built-in data sets the statistics are refitted from the training split as nerve eval does (Fashion-MNIST needs its files, --data-dir); tables and image folders keep theirs in the checkpoint.',
    'The output is the logits (regression: the z-scored target; its mean and scale are in the metadata).',
    "With --model, the checkpoint is a state dict with torchvision's names (torchvision_to_safetensors.py, or save(model, file)); its head's size gives the classes, and the graph takes inputs as the network does (ImageNet-normalized for torchvision weights) unless --imagenet-normalize folds that in.",
  ],
};
