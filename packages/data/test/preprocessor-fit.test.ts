/**
 * Preprocessor's fit and fitAsync are written once, in the base class: each
 * transform supplies only its check, its statistics and how it keeps them.
 * Both paths give the same state and name the method that was called.
 */
import '@nerve/backend-cpu';
import { memory, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  PCA,
  PCAWhiten,
  type Preprocessor,
  Standardize,
  ZCAWhiten,
  ZeroCenter,
} from '../src/index.js';
import { correlated } from './helpers.js';

const makers: [string, () => Preprocessor][] = [
  ['ZeroCenter', () => new ZeroCenter()],
  ['Standardize', () => new Standardize()],
  ['PCA', () => new PCA({ components: 2 })],
  ['PCAWhiten', () => new PCAWhiten({ components: 2 })],
  ['ZCAWhiten', () => new ZCAWhiten()],
];

describe('Preprocessor.fit and fitAsync', () => {
  it.each(makers)('%s inherits both from Preprocessor', (_name, make) => {
    let proto = Object.getPrototypeOf(make());
    const owners: string[] = [];
    while (proto && proto.constructor.name !== 'Preprocessor') {
      for (const m of ['fit', 'fitAsync']) if (Object.hasOwn(proto, m)) owners.push(m);
      proto = Object.getPrototypeOf(proto);
    }
    expect(owners).toEqual([]);
  });

  it.each(
    makers,
  )('%s: fitAsync gives the state fit gives, and frees what it computed', async (_name, make) => {
    const { x } = correlated(50, 4, 3);
    const before = memory().numTensors;
    const a = make().fit(x).stateDict();
    const b = (await make().fitAsync(x)).stateDict();
    expect(memory().numTensors).toBe(before);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k]).toEqual(a[k]);
    x.dispose();
  });

  it.each(makers)('%s names the method called when the data is refused', async (name, make) => {
    const x = tensor([1, 2, 3]);
    expect(() => make().fit(x)).toThrow(
      new RegExp(`^${name}\\.fit: expected samples along the first axis`),
    );
    await expect(make().fitAsync(x)).rejects.toThrow(
      new RegExp(`^${name}\\.fitAsync: expected samples along the first axis`),
    );
    x.dispose();
  });
});
