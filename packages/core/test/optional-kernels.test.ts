import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FUSED_KERNEL_NAMES,
  OPTIONAL_KERNEL_FALLBACKS,
  OPTIONAL_KERNEL_NAMES,
  withoutFusedKernels,
  withoutOptionalKernels,
} from '../src/index.js';
import { engine, optionalKernel } from '../src/engine.js';
import type { Backend } from '../src/backend.js';

describe('optional kernels', () => {
  it('names a fallback in core for every optional kernel', () => {
    expect(OPTIONAL_KERNEL_NAMES.length).toBeGreaterThan(0);
    for (const name of OPTIONAL_KERNEL_NAMES) {
      const file = OPTIONAL_KERNEL_FALLBACKS[name].match(/ops\/[a-z-]+\.ts/)?.[0];
      expect(file, name).toBeDefined();
      // The file it names exists, so the table cannot go stale after a rename.
      expect(existsSync(new URL(`../src/${file}`, import.meta.url)), `${name}: ${file}`).toBe(true);
    }
  });

  it('keeps the deprecated fused names working', () => {
    expect(withoutFusedKernels).toBe(withoutOptionalKernels);
    expect(FUSED_KERNEL_NAMES).toEqual(OPTIONAL_KERNEL_NAMES);
  });

  it('hides every optional kernel inside withoutOptionalKernels, and only there', () => {
    const softmax = () => ({});
    const backend = { name: 'fake', softmax } as unknown as Backend;
    expect(optionalKernel(backend, 'softmax')).toBeTypeOf('function');
    withoutOptionalKernels(() => {
      expect(optionalKernel(backend, 'softmax')).toBeUndefined();
      expect([...engine.disabledOptional].sort()).toEqual([...OPTIONAL_KERNEL_NAMES].sort());
    });
    expect(engine.disabledOptional.size).toBe(0);
    expect(optionalKernel(backend, 'softmax')).toBeTypeOf('function');
    withoutOptionalKernels(() => {
      expect(optionalKernel(backend, 'softmax')).toBeUndefined();
      expect(optionalKernel(backend, 'conv2d')).toBeUndefined();
    }, ['softmax']);
  });
});
