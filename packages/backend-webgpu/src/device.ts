/**
 * Finding a WebGPU adapter and creating the device: `navigator.gpu` in a
 * browser, Dawn through the optional `webgpu` package in Node.
 *
 * The device asks for the adapter's own limits (the defaults are far below
 * what real adapters allow: 128 MiB bindings, 256 invocations per workgroup)
 * and for the optional features the kernels can use.
 */
import { NerveError } from '@nerve/core/backend';
import type { GpuFeatures, GpuLimits } from './context.js';

/** How to obtain the adapter. */
export interface DeviceOptions {
  /** Passed to requestAdapter. */
  powerPreference?: GPUPowerPreference;
  /** 'compatibility' for OpenGL ES backends (Dawn's `backend=opengles`). */
  featureLevel?: 'core' | 'compatibility';
  /** Node only: flags for Dawn's `create()`, e.g. `['backend=opengles']`. */
  dawnFlags?: string[];
  /** An existing GPU object (navigator.gpu or Dawn's create()) to use instead. */
  gpu?: GPU;
  /**
   * Request the `subgroups` feature when the adapter has it (default true).
   * false keeps the kernels on their workgroup-memory paths: for tests and
   * benchmarks that compare the two, or to rule subgroups out when debugging.
   */
  subgroups?: boolean;
}

/** The adapter in use, for messages, logs and benchmarks. */
export interface AdapterDescription {
  /** The adapter's vendor (empty when the browser does not say). */
  vendor: string;
  /** The adapter's architecture (may be empty). */
  architecture: string;
  /** The adapter's device name (may be empty). */
  device: string;
  /** A human-readable description (may be empty). */
  description: string;
  /** True for a software (fallback) adapter such as SwiftShader. */
  isFallbackAdapter: boolean;
  /** The WebGPU features the adapter supports. */
  features: string[];
  /** The limits the device was created with. */
  limits: GpuLimits;
  /**
   * Subgroup sizes the adapter may use (WebGPU's `adapter.info`; 0 when it
   * does not say). Kernels never assume one: a pipeline's size can be any
   * value in this range, and lavapipe reports 8, NVIDIA 32, AMD 32–64.
   */
  subgroupMinSize: number;
  /** Largest subgroup size (0 when the adapter does not say). */
  subgroupMaxSize: number;
}

export interface GpuDevice {
  device: GPUDevice;
  limits: GpuLimits;
  features: GpuFeatures;
  adapter: AdapterDescription;
}

// Dawn's GPU object must outlive its devices; a module-level reference keeps
// it from being collected.
const dawnInstances = new Map<string, GPU>();

/** The GPU entry point of this environment, or a NerveError that says how to get one. */
export async function getGpu(opts: DeviceOptions = {}): Promise<GPU> {
  if (opts.gpu) return opts.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu && !opts.dawnFlags) return nav.gpu;
  const flags = opts.dawnFlags ?? [];
  const key = flags.join('\n');
  const cached = dawnInstances.get(key);
  if (cached) return cached;
  let mod: { create: (flags: string[]) => GPU };
  try {
    // A variable specifier keeps bundlers from resolving the Node-only package for browsers.
    const name = 'webgpu';
    mod = await import(/* @vite-ignore */ name);
  } catch (e) {
    throw NerveError.raw(
      'webgpu.init',
      `no navigator.gpu and the optional 'webgpu' package (Dawn for Node) could not be loaded: ${
        (e as Error).message
      }. Install it with 'npm install webgpu@0.6.2', or use a browser with WebGPU.`,
    );
  }
  const gpu = mod.create(flags);
  dawnInstances.set(key, gpu);
  return gpu;
}

const LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const FEATURES = ['subgroups', 'shader-f16', 'timestamp-query'] as const;

/** Subgroup size range per device, for kernels that size their work by it (see subgroupSizes). */
const subgroupRanges = new WeakMap<GPUDevice, { min: number; max: number }>();

/**
 * The subgroup sizes `device`'s adapter reported, or 32..32 when unknown (a
 * device not made by createDevice): a hint for work division only, never
 * for correctness.
 */
export function subgroupSizes(device: GPUDevice): { min: number; max: number } {
  return subgroupRanges.get(device) ?? { min: 32, max: 32 };
}

/** Requests an adapter and a device with the adapter's limits and the useful features. */
export async function createDevice(opts: DeviceOptions = {}): Promise<GpuDevice> {
  const gpu = await getGpu(opts);
  const request: GPURequestAdapterOptions & { featureLevel?: string } = {};
  if (opts.powerPreference) request.powerPreference = opts.powerPreference;
  if (opts.featureLevel) request.featureLevel = opts.featureLevel;
  const adapter = await gpu.requestAdapter(request);
  if (!adapter) {
    throw NerveError.raw(
      'webgpu.init',
      'no WebGPU adapter is available (in Node on Linux without a GPU, install the Mesa lavapipe Vulkan driver: mesa-vulkan-drivers from bookworm-backports)',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures = FEATURES.filter(
    (f) => adapter.features.has(f) && (f !== 'subgroups' || opts.subgroups !== false),
  ) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const l = device.limits;
  const limits: GpuLimits = {
    maxWorkgroupSize: Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX),
    maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize),
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
  };
  const features: GpuFeatures = {
    subgroups: device.features.has('subgroups'),
    shaderF16: device.features.has('shader-f16'),
    timestampQuery: device.features.has('timestamp-query'),
  };
  const info = adapter.info as GPUAdapterInfo & {
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
    isFallbackAdapter?: boolean;
  };
  const subgroupMinSize = info?.subgroupMinSize ?? 0;
  const subgroupMaxSize = info?.subgroupMaxSize ?? 0;
  if (subgroupMinSize > 0 && subgroupMaxSize >= subgroupMinSize) {
    subgroupRanges.set(device, { min: subgroupMinSize, max: subgroupMaxSize });
  }
  return {
    device,
    limits,
    features,
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      isFallbackAdapter: Boolean(info?.isFallbackAdapter),
      features: [...device.features].sort(),
      limits,
      subgroupMinSize,
      subgroupMaxSize,
    },
  };
}

/** Whether an adapter can be obtained here (for tests to skip with a reason). */
export async function probe(opts: DeviceOptions = {}): Promise<boolean> {
  try {
    const gpu = await getGpu(opts);
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}
