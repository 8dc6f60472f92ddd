/**
 * The flags of `nerve bench` (see commands.ts).
 */
import type { CommandDef } from './flags.js';

/** `nerve bench`. */
export const BENCH: CommandDef = {
  name: 'bench',
  summary:
    'measure this machine: matmul GFLOP/s and MLP/CNN training steps/s on each backend (≤ 30 s)',
  flags: [
    {
      name: 'seconds',
      kind: 'number',
      min: 0,
      max: 5,
      exclusiveMin: true,
      default: 1,
      placeholder: 'S',
      description: 'timed seconds per measurement, after a short warm-up',
    },
    {
      name: 'quick',
      kind: 'boolean',
      default: false,
      description: 'a few steps per measurement (0.05 s): checks that everything runs, not speed',
    },
    {
      name: 'threads',
      kind: 'int',
      min: 1,
      max: 256,
      placeholder: 'N',
      defaultText: 'the cores available',
      description: 'the CPU backend is measured at 1 thread and at N',
    },
    {
      name: 'backends',
      kind: 'string',
      default: 'cpu,webgpu',
      placeholder: 'LIST',
      description: 'which backends to measure (cpu, webgpu); webgpu is skipped without an adapter',
    },
    {
      name: 'json',
      kind: 'boolean',
      default: false,
      description:
        'JSON Lines on stdout: one {"event":"result"} per measurement, the summary last; errors as {"event":"error"}',
    },
  ],
  notes: [
    'The workloads are those of pnpm bench:cpu (bench/cpu/workloads.ts): the same sizes, weights and data.',
    'Numbers depend on what else runs: the output shows the load average before and after.',
  ],
};
