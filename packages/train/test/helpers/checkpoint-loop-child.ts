/**
 * Saves checkpoints in a loop until killed: before save n (from argv[3]) the
 * model's weights and the Adam state (moments and step) all hold n, so a
 * reader can tell whether model and optimizer come from the same save.
 */
import '@nerve/backend-cpu';
import { full } from '@nerve/core';
import { Linear } from '@nerve/layers';
import { Adam } from '@nerve/optim';
import { saveCheckpoint } from '../../src/index.js';

const IN = 1024;
const OUT = 2048;

const path = process.argv[2] as string;
const model = new Linear(IN, OUT, { seed: 0 });
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const { paramGroups } = opt.stateDict();
for (let n = Number(process.argv[3] ?? 1); ; n++) {
  const state: Record<number, Record<string, ReturnType<typeof full> | number>> = {};
  for (const [i, p] of model.parameters().entries()) {
    const v = full(p.shape, n);
    p.assign(v);
    v.dispose();
    state[i] = { step: n, expAvg: full(p.shape, n), expAvgSq: full(p.shape, n) };
  }
  opt.loadStateDict({ state, paramGroups });
  for (const s of Object.values(state))
    for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
  await saveCheckpoint(path, model, { optimizer: opt, epoch: n, step: n });
  process.stdout.write(`saved ${n}\n`);
}
