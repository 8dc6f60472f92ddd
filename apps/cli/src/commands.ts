/**
 * Every command's flags, declared once as tables (flags-train.ts,
 * flags-tune.ts, shared ones in flags-common.ts). Parsing, validation,
 * "did you mean" and `nerve <command> --help` are generated from them.
 */
import type { CommandDef } from './flags.js';
import { BENCH } from './flags-bench.js';
import { EVAL, TRAIN } from './flags-train.js';
import { EXPORT } from './flags-export.js';
import { LAB } from './flags-lab.js';
import { PREDICT } from './flags-predict.js';
import { FINETUNE, LR_FIND, TUNE } from './flags-tune.js';

export { BENCH, EVAL, EXPORT, FINETUNE, LAB, LR_FIND, PREDICT, TRAIN, TUNE };

/** All commands, in the order the general help lists them. */
export const COMMANDS: readonly CommandDef[] = [
  TRAIN,
  EVAL,
  PREDICT,
  EXPORT,
  TUNE,
  LR_FIND,
  FINETUNE,
  LAB,
  BENCH,
];
