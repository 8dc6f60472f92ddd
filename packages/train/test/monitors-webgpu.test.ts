/**
 * Every monitor under `fit` on the webgpu backend (lavapipe here), where
 * tensors cannot be read synchronously: the run must give the numbers of the
 * same run on the cpu, and leave no tensor behind.
 */
import '@nerve/backend-cpu';
import { type Tensor, memory, ready, setBackend, tensor, tidy } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Linear, ReLU, Sequential, Tanh, crossEntropy } from '@nerve/layers';
import {
  ActivationMonitor,
  type EpochRecord,
  GradNormMonitor,
  LossHistoryMonitor,
  UpdateRatioMonitor,
} from '@nerve/metrics';
import { SGD } from '@nerve/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { fit } from '../src/index.js';

// Loaded by a computed name: @nerve/backend-webgpu is no dependency of this
// package, and its sources need the WebGPU type declarations train's
// typecheck does not have.
const webgpuPackage = '@nerve/backend-webgpu';
const { probe } = (await import(/* @vite-ignore */ webgpuPackage)) as {
  probe: () => Promise<boolean>;
};
const available = await probe();
if (!available) console.warn('monitors-webgpu: skipped, no WebGPU adapter here');
afterAll(() => setBackend('cpu'));

/** Deterministic inputs in [-1, 1) and labels from a fixed rule (host arrays, same on both backends). */
function data(n: number): { x: Float32Array; y: Int32Array } {
  let s = 12345;
  const x = new Float32Array(n * 6);
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  const y = Int32Array.from({ length: n }, (_, i) => (x[6 * i] + x[6 * i + 1] > 0 ? 1 : 0));
  return { x, y };
}

async function run(backend: string) {
  setBackend(backend);
  const { x, y } = data(96);
  const ds = new TensorDataset(tensor(x, { shape: [96, 6] }), tensor(y));
  const model = new Sequential(
    new Linear(6, 12, { seed: 1 }),
    new Tanh(),
    new Linear(12, 8, { seed: 2 }),
    new ReLU(),
    new Linear(8, 2, { seed: 3 }),
  );
  const monitors = [
    new UpdateRatioMonitor(),
    new GradNormMonitor(),
    new ActivationMonitor({ bins: 8 }),
    new LossHistoryMonitor(),
  ];
  const before = memory().numTensors;
  const history = await fit(model, {
    train: new DataLoader(ds, { batchSize: 32 }),
    epochs: 2,
    optimizer: new SGD(model.parameters(), { lr: 0.1 }),
    loss: (out: Tensor, t: Tensor) => crossEntropy(out, t),
    monitors,
  });
  const leaked = memory().numTensors - before;
  for (const p of model.parameters()) p.dispose();
  for (const t of ds.tensors) t.dispose();
  return { history, leaked };
}

function expectNear(got: number | undefined, want: number | undefined, what: string) {
  expect(got, what).toBeTypeOf('number');
  if (Number.isNaN(want)) return expect(got, what).toBeNaN();
  expect(Math.abs(got! - want!), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(
    1e-4 * (1 + Math.abs(want!)),
  );
}

describe.runIf(available)('monitors under fit on webgpu', () => {
  it('report the cpu run’s numbers within 1e-4 and leak no tensor', async () => {
    await ready('webgpu');
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(gpu.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
    expect(gpu.history).toHaveLength(2);
    for (const [e, want] of cpu.history.entries()) {
      const got: EpochRecord = gpu.history[e];
      expectNear(got.trainLoss, want.trainLoss, `epoch ${e + 1} trainLoss`);
      for (const [i, l] of want.stepLosses!.entries()) {
        expectNear(got.stepLosses![i], l, `epoch ${e + 1} step ${i}`);
      }
      const keys = Object.keys(want.monitors!).sort();
      expect(Object.keys(got.monitors!).sort()).toEqual(keys);
      // Every monitor reported (a key of each, so a silently empty one fails).
      for (const k of ['updateRatio/median', 'gradNorm/total', 'activation/deadMax', 'loss/mean']) {
        expect(keys).toContain(k);
      }
      for (const k of keys) expectNear(got.monitors![k], want.monitors![k], `epoch ${e + 1} ${k}`);
    }
  });

  it('endEpoch before flush says what to do; detach frees what was kept', async () => {
    await ready('webgpu');
    setBackend('webgpu');
    const model = new Linear(3, 2, { seed: 4 });
    const mon = new GradNormMonitor();
    mon.attach(model);
    tidy(() =>
      model
        .call(tensor([[1, 2, 3]]))
        .sum()
        .backward(),
    );
    const before = memory().numTensors;
    mon.beforeStep();
    expect(memory().numTensors).toBe(before + 1); // one small tensor kept per step
    expect(() => mon.endEpoch()).toThrow(/await monitor\.flush\(\)/);
    await mon.flush();
    expect(memory().numTensors).toBe(before);
    // ‖∂Σ(Wx+b)/∂W‖ = √2·‖x‖ = √28, ‖∂/∂b‖ = √2: total √30.
    expect(mon.endEpoch()['gradNorm/total']).toBeCloseTo(Math.sqrt(30), 5);
    mon.beforeStep();
    mon.detach();
    expect(memory().numTensors).toBe(before);
    for (const p of model.parameters()) p.grad?.dispose();
    for (const p of model.parameters()) p.dispose();
    setBackend('cpu');
  });
});
