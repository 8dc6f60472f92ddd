/**
 * The flags of `nerve predict` (see commands.ts).
 */
import { checkpointFlag, delimiterFlag, json } from './flags-common.js';
import type { CommandDef } from './flags.js';

/** `nerve predict`. */
export const PREDICT: CommandDef = {
  name: 'predict',
  summary: 'apply a checkpoint trained on your own table (--csv) or images (--images) to new data',
  flags: [
    checkpointFlag('a checkpoint written by nerve train --csv … --out'),
    {
      name: 'csv',
      kind: 'string',
      placeholder: 'FILE.csv',
      description:
        'rows to predict, with the columns the network was trained on (the label column may be absent)',
    },
    {
      name: 'images',
      kind: 'string',
      placeholder: 'DIR',
      description: 'a folder of PNG or JPEG images to predict (resized and cropped as in training)',
    },
    delimiterFlag,
    {
      name: 'top',
      kind: 'int',
      min: 1,
      max: 1000,
      default: 3,
      placeholder: 'K',
      description: 'classes shown per row, most probable first (all of them under --json)',
    },
    json,
  ],
  notes: [
    'One of --csv or --images, matching what the checkpoint was trained on.',
    'The rows are prepared as in training: the same one-hot categories, missing cells filled (or refused) as the training run did, the training part’s standardization.',
  ],
};
