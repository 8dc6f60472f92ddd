/**
 * @nerve/backend-webgpu — the WebGPU backend: WGSL kernels in browsers
 * (navigator.gpu) and in Node (Dawn, through the optional `webgpu` package).
 * Importing this package registers it as 'webgpu' with priority 0, so the CPU
 * backend stays the default: `await ready('webgpu'); setBackend('webgpu')`.
 *
 * @module @nerve/backend-webgpu
 */
// The published .d.ts name GPU* types: this keeps @webgpu/types (a dependency) in them.
/// <reference types="@webgpu/types" preserve="true" />
import { registerBackend } from '@nerve/core/backend';
import { WebGpuBackend } from './webgpu-backend.js';

registerBackend('webgpu', () => new WebGpuBackend(), 0);

export { WebGpuBackend, type WebGpuBackendOptions, type WebGpuStats } from './webgpu-backend.js';
export { type AdapterDescription, type DeviceOptions, probe } from './device.js';
export type { PoolStats } from './buffer-pool.js';
