/**
 * The visitor's backend choice on the page's thread: one reactive value
 * shared by every BackendPicker and demo, kept in localStorage so that it
 * holds across pages and visits, and what this browser offers (whether a
 * WebGPU adapter exists, and why not). Workers receive the choice in their
 * start message and call `useSiteBackend` (site-backend.ts) with it.
 */
import { type Ref, ref } from 'vue';
import type { BackendChoice } from './site-backend.js';

/** The localStorage key of the choice. */
export const BACKEND_STORAGE_KEY = 'nerve.backend';

function isChoice(v: unknown): v is BackendChoice {
  return v === 'auto' || v === 'cpu' || v === 'webgpu';
}

function stored(): BackendChoice {
  try {
    const v = globalThis.localStorage?.getItem(BACKEND_STORAGE_KEY);
    return isChoice(v) ? v : 'auto';
  } catch {
    // Storage can be blocked (privacy settings): the choice then lasts for the page.
    return 'auto';
  }
}

let shared: Ref<BackendChoice> | undefined;

/** The shared choice ('auto' until the visitor picks one). */
export function backendChoice(): Ref<BackendChoice> {
  if (shared === undefined) {
    shared = ref(stored());
    globalThis.addEventListener?.('storage', (e: StorageEvent) => {
      if (e.key === BACKEND_STORAGE_KEY && shared && isChoice(e.newValue))
        shared.value = e.newValue;
    });
  }
  return shared;
}

/** Sets and stores the choice. */
export function setBackendChoice(choice: BackendChoice): void {
  backendChoice().value = choice;
  try {
    globalThis.localStorage?.setItem(BACKEND_STORAGE_KEY, choice);
  } catch {
    // See stored().
  }
}

/** Whether this browser offers WebGPU here, and in words why not. */
export interface WebGpuAvailability {
  available: boolean;
  reason: string;
}

let availability: Promise<WebGpuAvailability> | undefined;

/** Asks the browser once per page load for a WebGPU adapter. */
export function webGpuAvailability(): Promise<WebGpuAvailability> {
  availability ??= (async () => {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu)
      return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
    try {
      const adapter = await gpu.requestAdapter();
      if (adapter === null) {
        return {
          available: false,
          reason: 'the browser has WebGPU but found no adapter (no usable GPU)',
        };
      }
      return { available: true, reason: '' };
    } catch (e) {
      return {
        available: false,
        reason: `requestAdapter failed: ${String((e as Error)?.message ?? e)}`,
      };
    }
  })();
  return availability;
}
