/**
 * The flags of `nerve export` (see commands.ts).
 */
import { checkpointFlag, dataDir, json } from './flags-common.js';
import type { CommandDef } from './flags.js';

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
  ],
};
