import { getBackend, listBackends, matmul, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/index.js';

describe('registration', () => {
  it('registers a CpuBackend named cpu on import', () => {
    expect(listBackends()).toContain('cpu');
    const b = getBackend('cpu');
    expect(b).toBeInstanceOf(CpuBackend);
    expect(b.name).toBe('cpu');
  });

  it('runs a core op end to end', async () => {
    const a = tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
    const c = matmul(a, a);
    expect(Array.from(await c.data())).toEqual([7, 10, 15, 22]);
  });
});
