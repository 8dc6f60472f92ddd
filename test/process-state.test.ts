/**
 * Two copies of @nerve/core in one process (ESM beside CommonJS, or a nested
 * second version) share one backend registry, one memory account and one
 * default generator; a copy with an incompatible shared state refuses to load.
 * vi.resetModules() makes the second import evaluate core's modules again,
 * which is what a second copy is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const KEY = Symbol.for('@nerve/core/process-state');

type Core = typeof import('@nerve/core');

async function twoCopies(): Promise<[Core, Core]> {
  const a = await import('@nerve/core');
  // The backend registers into the copy it imports: copy a.
  await import('@nerve/backend-cpu');
  vi.resetModules();
  const b = await import('@nerve/core');
  return [a, b];
}

afterEach(() => {
  vi.resetModules();
});

describe('two copies of @nerve/core in one process', () => {
  it('are really two module instances (so the test means something)', async () => {
    const [a, b] = await twoCopies();
    expect(b.registerBackend).not.toBe(a.registerBackend);
    expect(b.Tensor).not.toBe(a.Tensor);
  });

  it('share one backend registry: a backend registered through one is found through the other', async () => {
    const [a, b] = await twoCopies();
    expect(a.listBackends()).toContain('cpu');
    expect(b.listBackends()).toContain('cpu');
    expect(b.getBackend('cpu')).toBe(a.getBackend('cpu'));
    // The README example's failure: creating a tensor through the copy the
    // backend did not import.
    const t = b.tensor([1, 2, 3]);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    t.dispose();
    a.registerBackend('process-state-test', () => a.getBackend('cpu'), -1);
    expect(b.listBackends()).toContain('process-state-test');
    b.setBackend('cpu');
    expect(a.getBackendName()).toBe('cpu');
  });

  it('share one memory account, tidy scopes and tensor ids', async () => {
    const [a, b] = await twoCopies();
    const before = a.memory().numTensors;
    const x = a.tensor([1, 2]);
    const y = b.tensor([3, 4]);
    expect(b.memory().numTensors).toBe(before + 2);
    expect(a.memory().numTensors).toBe(before + 2);
    expect(y.id).not.toBe(x.id);
    // A tensor made through copy a inside copy b's tidy scope is freed by it.
    let inner: { isDisposed: boolean } | undefined;
    b.tidy(() => {
      inner = a.tensor([5]);
    });
    expect(inner?.isDisposed).toBe(true);
    x.dispose();
    y.dispose();
    expect(b.memory().numTensors).toBe(before);
    // noGrad through one copy turns gradients off for both.
    b.noGrad(() => {
      const w = a.tensor([1]);
      w.requiresGrad = true;
      const z = a.mul(w, 2);
      expect(z.requiresGrad).toBe(false);
      z.dispose();
      w.dispose();
    });
  });

  it('share the default generator: manualSeed through one copy seeds the other', async () => {
    const [a, b] = await twoCopies();
    a.manualSeed(5);
    const want = Array.from(new a.Generator(5).uint32(8));
    expect(Array.from(b.getDefaultGenerator().uint32(4))).toEqual(want.slice(0, 4));
    // Drawing through b advanced the one stream: a continues where b stopped.
    expect(Array.from(a.getDefaultGenerator().uint32(4))).toEqual(want.slice(4));
  });

  it('refuse to load beside a copy whose shared state has another version', async () => {
    const [a] = await twoCopies();
    const real = Object.getOwnPropertyDescriptor(globalThis, KEY);
    expect(real?.value).toBeDefined();
    const old = { version: 0, slots: {} };
    Object.defineProperty(globalThis, KEY, { value: old, configurable: true });
    try {
      vi.resetModules();
      await expect(import('@nerve/core')).rejects.toThrow(
        "@nerve/core: expected every copy of @nerve/core loaded in this process to share state version 1, received a copy with state version 0 loaded first: two incompatible versions of @nerve/core are installed (list them with 'npm ls @nerve/core'",
      );
    } finally {
      if (real) Object.defineProperty(globalThis, KEY, real);
    }
    // The copy already loaded still works.
    const t = a.tensor([1]);
    t.dispose();
  });
});

describe('the shared state', () => {
  // The shape of version 1. A change here is a change of the contract
  // between copies: bump PROCESS_STATE_VERSION in core's process-state.ts.
  it('has the shape of its version', async () => {
    await import('@nerve/core');
    const { PROCESS_STATE_VERSION } = await import('../packages/core/src/process-state.js');
    expect(PROCESS_STATE_VERSION).toBe(1);
    const state = (globalThis as Record<symbol, { version: number; slots: object }>)[KEY];
    expect(state.version).toBe(PROCESS_STATE_VERSION);
    const shape = Object.fromEntries(
      Object.entries(state.slots).map(([name, slot]) => [name, Object.keys(slot).sort()]),
    );
    expect(shape).toEqual({
      registry: ['active', 'entries'],
      engine: [
        'disabledOptional',
        'gradEnabled',
        'liveTensors',
        'nextTensorId',
        'perBackend',
        'scopes',
        'storages',
      ],
      random: ['block', 'key'],
    });
    expect(Object.keys(globalThis)).not.toContain(KEY.toString());
  });
});
