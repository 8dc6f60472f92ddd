/**
 * Every registered experiment runs to completion on the webgpu backend
 * (lavapipe here), where tensors cannot be read synchronously: the lab
 * prepares data on the CPU (util/on-host.ts) and reads results with
 * `await t.data()`. Each quick run finishes, its findings show no NaN or
 * infinity, and no tensor is left behind.
 */
import '@nerve/backend-cpu';
import { memory, setBackend } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabResult } from '../src/experiment.js';
import { nodeLabData } from '../src/node.js';
import { experiments } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

// Loaded by a computed name: @nerve/backend-webgpu is no dependency of this
// package, and its sources need WebGPU type declarations the lab's
// typecheck does not have (as in @nerve/train's monitors-webgpu test).
const webgpuPackage = '@nerve/backend-webgpu';
const { probe } = (await import(/* @vite-ignore */ webgpuPackage)) as {
  probe: () => Promise<boolean>;
};
const available = await probe();
if (!available) console.warn('lab webgpu: skipped, no WebGPU adapter here');
afterAll(() => setBackend('cpu'));

/**
 * Smaller values than `--quick` for this test only, where the quick run
 * took over a minute on lavapipe here (2 loaded cores: batchnorm 75 s,
 * babysitting 142 s, transfer 330 s); the CLI's quick values stay. Every
 * code path still runs: each ladder rung, each gap setting, each k and
 * method of transfer, only for fewer steps on fewer images.
 */
const SMALLER: Record<string, Record<string, unknown>> = {
  batchnorm: { epochs: 2, ladderEpochs: 1 },
  babysitting: { overfitEpochs: 20, ladderEpochs: 1, gapEpochs: 10 },
  transfer: { resolution: '14', pretrainImages: 200, testImages: 100, steps: 5, headEpochs: 2 },
};

describe.runIf(available)('lab experiments on webgpu', () => {
  for (const exp of experiments) {
    it(`${exp.id} runs to completion with finite findings`, { timeout: 600_000 }, async () => {
      const before = memory().numTensors;
      const t0 = performance.now();
      const r: LabResult = await runExperiment(exp, {
        backend: 'webgpu',
        quick: true,
        params: SMALLER[exp.id] ?? {},
        data: nodeLabData,
      });
      console.log(`lab webgpu: ${exp.id} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      expect(memory().numTensors, 'live tensors').toBe(before);
      expect(r.findings.length).toBeGreaterThan(0);
      for (const f of r.findings) {
        expect(f.measured, f.statement).not.toMatch(/NaN|Infinity/);
      }
    });
  }
});
