/**
 * Device errors are reported, not swallowed: an out-of-memory or validation
 * error raised by the device surfaces as a NerveError on the next call.
 */
import { add, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { globals } from 'webgpu';
import { available, useWebGpu } from './gpu.js';

// The classes the Node `webgpu` package defines (a browser has them as globals).
const { GPUOutOfMemoryError, GPUUncapturedErrorEvent, GPUBufferUsage } = globals as unknown as {
  GPUOutOfMemoryError: typeof globalThis.GPUOutOfMemoryError;
  GPUUncapturedErrorEvent: typeof globalThis.GPUUncapturedErrorEvent;
  GPUBufferUsage: typeof globalThis.GPUBufferUsage;
};

describe.runIf(available)('webgpu device errors', () => {
  it('an out-of-memory error from the device fails the next op with a clear message, once', async () => {
    const backend = await useWebGpu();
    const device = backend.ctx.device;
    // What Dawn raises when an allocation fails, delivered the same way.
    device.dispatchEvent(
      new GPUUncapturedErrorEvent('uncapturederror', {
        error: new GPUOutOfMemoryError('allocation of 8 GiB failed'),
      }),
    );
    expect(() => tensor([1, 2, 3])).toThrow(
      /upload: the GPU is out of memory: allocation of 8 GiB failed/,
    );
    // Reported once: the next calls run.
    const a = tensor([1, 2, 3]);
    const b = add(a, a);
    expect([...(await b.data())]).toEqual([2, 4, 6]);
    a.dispose();
    b.dispose();
  });

  it('a validation error from the device names its kind', async () => {
    const backend = await useWebGpu();
    const device = backend.ctx.device;
    device.createBuffer({ size: 2 ** 40, usage: GPUBufferUsage.STORAGE });
    await device.queue.onSubmittedWorkDone();
    expect(() => tensor([1, 2])).toThrow(/upload: WebGPU GPUValidationError.*: .*max buffer size/);
  });
});
