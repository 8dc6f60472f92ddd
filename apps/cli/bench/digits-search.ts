/**
 * Wall time of a 20-trial random search of the digits MLP with 1 worker
 * (in-process) and with 2 worker threads; both must find the same trials.
 * Run: npx tsx --conditions=@nerve/source apps/cli/bench/digits-search.ts [trials] [workers, e.g. 1,2,4]
 */
import '@nerve/backend-cpu';
import {
  type StudyResult,
  choice,
  formatStudy,
  intUniform,
  logUniform,
  randomSearch,
  runStudy,
  space,
} from '@nerve/tune';
import { digitsMlpObjective } from '../src/demos/digits-mlp.js';

const trials = Number(process.argv[2] ?? 20);
const workerCounts = (process.argv[3] ?? '1,2').split(',').map(Number);
const opts = {
  space: space({
    lr: logUniform(1e-4, 1e-1),
    weightDecay: logUniform(1e-6, 1e-2),
    hidden: intUniform(16, 128, { log: true }),
    batchSize: choice([32, 64]),
  }),
  // A bundled copy (see the README's measurements) names its objective module explicitly.
  objective: process.env.TUNE_OBJECTIVE_MODULE
    ? { module: process.env.TUNE_OBJECTIVE_MODULE, exportName: 'digitsMlp' }
    : digitsMlpObjective,
  searcher: randomSearch({ trials }),
  seed: 0,
  backendModule: digitsMlpObjective.module,
};

const timings: Record<number, number> = {};
const results: StudyResult[] = [];
for (const workers of workerCounts) {
  const t0 = performance.now();
  const r = await runStudy({ ...opts, workers });
  timings[workers] = (performance.now() - t0) / 1000;
  results.push(r);
  console.log(`workers ${workers}: ${timings[workers].toFixed(1)} s`);
}
const strip = (i: number) => JSON.stringify(results[i].trials.map(({ seconds, ...t }) => t));
const same = results.every((_, i) => strip(i) === strip(0));
console.log(formatStudy(results[0], { top: 5 }));
const best = results[0].best;
console.log(
  `identical results: ${same}; ${workerCounts.map((w) => `${w} workers ${timings[w].toFixed(1)} s`).join(', ')}; best valAccuracy ${best?.history.at(-1)?.metrics.valAccuracy}`,
);
