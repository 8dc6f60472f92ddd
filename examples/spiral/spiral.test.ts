import { memory, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { accuracy, initNet, makeSpiral, trainSpiral, trainStep } from './spiral.js';

describe('spiral example', () => {
  it('generates the same data for the same seed', () => {
    const a = makeSpiral(100, 3, 5);
    const b = makeSpiral(100, 3, 5);
    expect([...a.x.dataSync()]).toEqual([...b.x.dataSync()]);
    expect(a.x.shape).toEqual([300, 2]);
    expect(a.y.shape).toEqual([300]);
  });

  it('trains a two-layer network to at least 95% training accuracy', () => {
    const data = makeSpiral(100, 3, 0);
    const losses: number[] = [];
    const { accuracy: acc } = trainSpiral(data, { steps: 2000, onStep: (_, l) => losses.push(l) });
    expect(acc).toBeGreaterThanOrEqual(0.95);
    // Starts at ln 3 (uniform predictions from small weights) and falls.
    expect(losses[0]).toBeCloseTo(Math.log(3), 2);
    expect(losses[losses.length - 1]).toBeLessThan(0.4);
  });

  it('keeps live tensors and bytes flat over 1,000 training steps', () => {
    const data = makeSpiral(100, 3, 1);
    const net = initNet(50, 3, 1);
    let at10 = memory();
    for (let step = 1; step <= 1000; step++) {
      trainStep(net, data, 1, 1e-3);
      if (step === 10) at10 = memory();
    }
    const at1000 = memory();
    expect(at1000.numTensors).toBe(at10.numTensors);
    expect(at1000.numBytes).toBe(at10.numBytes);
    expect(at1000.numBuffers).toBe(at10.numBuffers);
    // Only the data (2) and the parameters (4) are alive between steps.
    const before = memory().numTensors;
    tidy(() => accuracy(net, data));
    expect(memory().numTensors).toBe(before);
  });
});
