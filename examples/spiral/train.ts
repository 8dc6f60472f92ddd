/**
 * Trains the two-layer network on the spiral and prints its progress.
 *   pnpm spiral [-- --steps 2000]
 */
import { memory } from '@nerve/core';
import { makeSpiral, trainSpiral } from './spiral.js';

const argSteps = process.argv.indexOf('--steps');
const steps = argSteps > 0 ? Number(process.argv[argSteps + 1]) : 2000;
if (!Number.isInteger(steps) || steps < 1) {
  console.error(
    `spiral: expected --steps to be a positive integer, received ${process.argv[argSteps + 1]}`,
  );
  process.exit(2);
}

const data = makeSpiral(100, 3, 0);
const started = performance.now();
const { accuracy, loss } = trainSpiral(data, {
  steps,
  onStep: (step, l) => {
    if (step === 1 || step % 200 === 0)
      console.log(`step ${String(step).padStart(5)}  loss ${l.toFixed(4)}`);
  },
});
const seconds = (performance.now() - started) / 1000;
console.log(
  `final loss ${loss.toFixed(4)}, training accuracy ${(accuracy * 100).toFixed(1)}% after ${steps} steps (${seconds.toFixed(1)} s)`,
);
console.log(`live tensors: ${memory().numTensors}`);
