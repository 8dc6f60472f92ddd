/**
 * The site's backend choice, made inside a training worker:
 * `await useSiteBackend(choice)` activates WebGPU or the CPU backend (with
 * worker threads where the page is cross-origin isolated) and says which one
 * runs, on how many threads, and why, in words for the page to show.
 *
 * - 'webgpu': WebGPU or an error that says why not (no navigator.gpu, no
 *   adapter, the device failed to start).
 * - 'cpu': the CPU backend; threads = min(4, hardwareConcurrency) where
 *   SharedArrayBuffer works (cross-origin isolation), else one thread and a
 *   note that says so.
 * - 'auto': WebGPU where an adapter is found and the backend starts, unless
 *   that adapter is a software fallback (SwiftShader, which Chromium hands out
 *   only behind --enable-unsafe-webgpu): compiling kernels on the CPU makes it
 *   slower than the CPU backend, so auto takes the CPU and the note says why.
 *   Otherwise the CPU backend.
 *
 * Switching is clean: choosing WebGPU ends the CPU backend's thread pool,
 * choosing the CPU starts it again. The WebGPU backend module is imported
 * only when WebGPU is tried, so a CPU-only worker does not carry it.
 */
import { setThreads, threadsReady, threadsSupported } from '@nerve/backend-cpu';
import { ready, setBackend } from '@nerve/core';

/** What the user picks (BackendPicker.vue, persisted in localStorage). */
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

/** The backend a worker activated. */
export interface SiteBackend {
  /** The active backend. */
  name: 'cpu' | 'webgpu';
  /** CPU threads taking part in matmul/conv (1 on WebGPU). */
  threads: number;
  /** Plain words for the page: why this backend and thread count, or ''. */
  note: string;
  /** WebGPU's adapter, e.g. "google swiftshader (software fallback adapter)"; '' on the CPU. */
  adapter: string;
}

/** The most CPU threads the site uses: the demos are small, and past 4 the pool's overhead wins. */
export const MAX_SITE_THREADS = 4;

const NOT_ISOLATED =
  'This page is not cross-origin isolated (its server sends no COOP/COEP headers), so SharedArrayBuffer is unavailable and the CPU backend runs on one thread.';

/** Whether a string is a BackendChoice (for messages and localStorage). */
export function isBackendChoice(v: unknown): v is BackendChoice {
  return v === 'auto' || v === 'cpu' || v === 'webgpu';
}

interface WebGpuAttempt {
  ok: boolean;
  /** Why not, when !ok. */
  reason: string;
  adapter: string;
  fallback: boolean;
}

/** The adapter's own word on being a software fallback (adapter.info in current browsers). */
function isFallback(adapter: GPUAdapter): boolean {
  const a = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  return Boolean(a.info?.isFallbackAdapter ?? a.isFallbackAdapter);
}

/**
 * Finds an adapter and starts the WebGPU backend on it. With `stopAtFallback`
 * a software fallback adapter is reported without starting the backend
 * (auto does not use it, so it need not pay for the device).
 */
async function tryWebGpu(stopAtFallback: boolean): Promise<WebGpuAttempt> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    return {
      ok: false,
      reason: 'this browser has no WebGPU (navigator.gpu is missing)',
      adapter: '',
      fallback: false,
    };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return {
      ok: false,
      reason: `requestAdapter failed: ${message(e)}`,
      adapter: '',
      fallback: false,
    };
  }
  if (adapter === null) {
    return {
      ok: false,
      reason: 'the browser has WebGPU but found no adapter (no usable GPU)',
      adapter: '',
      fallback: false,
    };
  }
  if (stopAtFallback && isFallback(adapter)) {
    const info = adapter.info;
    const words = [info?.vendor, info?.architecture, info?.device].filter((w) => w).join(' ');
    return {
      ok: true,
      reason: '',
      adapter: `${words || 'an unnamed adapter'} (software fallback adapter)`,
      fallback: true,
    };
  }
  try {
    const { WebGpuBackend } = await import('@nerve/backend-webgpu');
    const backend = await ready('webgpu');
    const d = (backend as InstanceType<typeof WebGpuBackend>).describe();
    const words = [d.vendor, d.architecture, d.device].filter((s) => s !== '').join(' ');
    const name = (words || d.description || 'unnamed adapter').trim();
    return {
      ok: true,
      reason: '',
      adapter: d.isFallbackAdapter ? `${name} (software fallback adapter)` : name,
      fallback: d.isFallbackAdapter,
    };
  } catch (e) {
    return {
      ok: false,
      reason: `the WebGPU backend could not start: ${message(e)}`,
      adapter: '',
      fallback: false,
    };
  }
}

async function useCpu(note: string): Promise<SiteBackend> {
  setBackend('cpu');
  let threads = 1;
  let why = note;
  if (threadsSupported()) {
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency;
    const want = Math.max(1, Math.min(MAX_SITE_THREADS, Number.isInteger(cores) ? cores! : 1));
    try {
      setThreads(want);
      threads = await threadsReady();
    } catch (e) {
      setThreads(1);
      threads = 1;
      why = join(
        why,
        `The CPU backend's worker threads could not start (${message(e)}), so it runs on one thread.`,
      );
    }
  } else {
    setThreads(1);
    why = join(why, NOT_ISOLATED);
  }
  return { name: 'cpu', threads, note: why, adapter: '' };
}

/**
 * Activates the backend for `choice` in this worker and reports it. Rejects
 * only for 'webgpu' when WebGPU cannot run here (the message says why).
 */
export async function useSiteBackend(choice: BackendChoice): Promise<SiteBackend> {
  if (!isBackendChoice(choice)) {
    throw new Error(
      `useSiteBackend: expected 'auto', 'cpu' or 'webgpu', received ${String(choice)}`,
    );
  }
  if (choice === 'cpu') return useCpu('');
  const gpu = await tryWebGpu(choice === 'auto');
  if (choice === 'webgpu') {
    if (!gpu.ok) throw new Error(`WebGPU is unavailable: ${gpu.reason}.`);
    return activateWebGpu(gpu, '');
  }
  if (gpu.ok && !gpu.fallback) return activateWebGpu(gpu, '');
  if (gpu.ok) {
    return useCpu(
      `Auto chose the CPU: the only WebGPU adapter here, ${gpu.adapter.replace(' (software fallback adapter)', '')}, is a software fallback, slower than the CPU backend; pick WebGPU to use it anyway.`,
    );
  }
  return useCpu(`Auto chose the CPU: ${gpu.reason}.`);
}

function activateWebGpu(gpu: WebGpuAttempt, note: string): SiteBackend {
  // The CPU backend's pool is idle on WebGPU: end its workers.
  setThreads(1);
  setBackend('webgpu');
  return { name: 'webgpu', threads: 1, note, adapter: gpu.adapter };
}

function join(a: string, b: string): string {
  return a === '' ? b : `${a} ${b}`;
}

function message(e: unknown): string {
  return String((e as Error)?.message ?? e);
}
