/**
 * Module.getSubmodule / setSubmodule on plain Sequentials: the replaced layer
 * is the one forward calls and the one parameters() lists; setModule (one
 * name) goes through the same checks.
 */
import '@nerve/backend-cpu';
import { noGrad, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { Linear, ReLU, Sequential } from '../src/index.js';

/** A Linear(2 → 2) computing x · diag(k) + b, for outputs that are easy to predict. */
function diag(k: number, b: number): Linear {
  const l = new Linear(2, 2);
  l.loadStateDict({ weight: tensor([k, 0, 0, k], { shape: [2, 2] }), bias: tensor([b, b]) });
  return l;
}

describe('getSubmodule / setSubmodule', () => {
  it('replaces a layer of a nested Sequential; forward and parameters() use the new one', () => {
    const inner = new Sequential(diag(2, 0), new ReLU());
    const model = new Sequential(inner, diag(1, 1));
    const run = () =>
      tidy(() => noGrad(() => Array.from(model.call(tensor([[1, -3]])).dataSync())));
    // relu(2·x) + 1 = [3, 1].
    expect(run()).toEqual([3, 1]);
    expect(model.getSubmodule('0.1')).toBe(inner.at(1));
    expect(model.getSubmodule('')).toBe(model);
    const fresh = diag(-1, 0);
    const old = model.setSubmodule('0.0', fresh);
    // relu(−x) + 1 = [1, 4].
    expect(run()).toEqual([1, 4]);
    expect(model.stateDict()['0.0.weight']).toBe(fresh.weight);
    expect(model.parameters()).not.toContain((old as Linear).weight);
    old.dispose();
    // setModule: one name, the same checks.
    expect(() => inner.setModule('2', new ReLU())).toThrow(
      "setModule: expected a path of child modules (the Sequential has [0, 1]), received '2' in '2'",
    );
    inner.setModule('1', diag(1, 0));
    // No ReLU now: −x + 1 = [0, 4].
    expect(run()).toEqual([0, 4]);
    model.dispose();
  });
});
