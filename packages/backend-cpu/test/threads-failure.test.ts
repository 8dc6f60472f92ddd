/**
 * Where workers cannot be started (a page whose Content-Security-Policy
 * forbids blob: workers, say), setThreads reports it and leaves the backend on
 * one thread, and importing the package still works.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../src/threads/platform.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/threads/platform.js')>();
  return {
    ...real,
    spawnWorker: () => {
      throw new Error('SecurityError: workers are not allowed here');
    },
  };
});

describe('threads where workers cannot start', () => {
  it('the package loads on one thread, setThreads says why, and matmul still runs', async () => {
    const cpu = await import('@nerve/backend-cpu');
    const { matmul, setBackend, tensor } = await import('@nerve/core');
    const { threadsSupported } = await import('../src/threads/platform.js');
    expect(cpu.getThreads()).toBe(1);
    if (threadsSupported()) {
      expect(() => cpu.setThreads(2)).toThrow(/workers are not allowed here/);
      expect(cpu.getThreads()).toBe(1);
    }
    setBackend('cpu');
    const a = tensor(
      Float32Array.from({ length: 64 * 64 }, (_, i) => i % 7),
      { shape: [64, 64] },
    );
    const c = matmul(a, a);
    expect(c.shape).toEqual([64, 64]);
    const want = Array.from({ length: 64 }, (_, j) => {
      let s = 0;
      for (let k = 0; k < 64; k++) s += (k % 7) * ((k * 64 + j) % 7);
      return s;
    });
    expect(Array.from((await c.data()).subarray(0, 64))).toEqual(want);
  });
});
