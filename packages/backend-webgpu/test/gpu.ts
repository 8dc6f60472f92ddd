/**
 * Shared setup of the test files: whether a WebGPU adapter exists here (the
 * suites are skipped with a reason when not, e.g. CI without the lavapipe
 * Vulkan driver), and the registered backend once it is ready.
 */
import '@nerve/backend-webgpu';
import { getBackend, ready, setBackend } from '@nerve/core';
import { probe, type WebGpuBackend } from '../src/index.js';

/** True when an adapter can be created. */
export const available = await probe();

export const SKIP_REASON =
  'no WebGPU adapter here (in Node on Linux: mesa-vulkan-drivers from bookworm-backports; see README)';

// CI installs the driver and sets NERVE_REQUIRE_WEBGPU=1: there a missing adapter fails.
if (!available && process.env.NERVE_REQUIRE_WEBGPU === '1') {
  throw new Error(`@nerve/backend-webgpu: NERVE_REQUIRE_WEBGPU=1, but ${SKIP_REASON}`);
}
if (!available) console.warn(`@nerve/backend-webgpu: tests skipped: ${SKIP_REASON}`);

/** Initialises the registered 'webgpu' backend and makes it the active one. */
export async function useWebGpu(): Promise<WebGpuBackend> {
  await ready('webgpu');
  setBackend('webgpu');
  return getBackend('webgpu') as WebGpuBackend;
}
