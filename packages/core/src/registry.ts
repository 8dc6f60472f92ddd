/**
 * The backend registry: backends register a factory under a name; the core
 * runs every op on the active backend. Nothing else imports a backend.
 */
import type { Backend } from './backend.js';
import { NerveError } from './errors.js';
import { processSingleton } from './process-state.js';

interface Entry {
  factory: () => Backend;
  priority: number;
  instance?: Backend;
  initialised?: Promise<void>;
  initDone: boolean;
}

/** The registry's state: one per process, shared by every copy of core (process-state.ts). */
interface RegistryState {
  readonly entries: Map<string, Entry>;
  /** The backend setBackend chose (or the default, once used); null before. */
  active: string | null;
}

const registry = processSingleton<RegistryState>('registry', () => ({
  entries: new Map(),
  active: null,
}));
const { entries } = registry;

/**
 * Registers a backend factory. The highest-priority registered backend is the
 * default until `setBackend` picks one. Registering a name twice replaces it
 * only if it has not been instantiated yet.
 */
export function registerBackend(name: string, factory: () => Backend, priority = 1): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new NerveError('registerBackend', 'a non-empty backend name', String(name));
  }
  if (typeof factory !== 'function') {
    throw new NerveError('registerBackend', 'a factory function', typeof factory);
  }
  const existing = entries.get(name);
  if (existing?.instance) return;
  entries.set(name, { factory, priority, initDone: false });
}

/** Names of all registered backends. */
export function listBackends(): string[] {
  return [...entries.keys()];
}

function defaultName(): string {
  let best: string | null = null;
  let bestPriority = Number.NEGATIVE_INFINITY;
  for (const [name, e] of entries) {
    if (e.priority > bestPriority) {
      best = name;
      bestPriority = e.priority;
    }
  }
  if (best === null) {
    throw new NerveError(
      'getBackend',
      'a registered backend',
      'none (import "@nerve/backend-cpu" or another backend package first)',
    );
  }
  return best;
}

function entryFor(op: string, name: string): Entry {
  const e = entries.get(name);
  if (!e) {
    throw new NerveError(op, `one of the registered backends [${listBackends().join(', ')}]`, name);
  }
  return e;
}

function instantiate(e: Entry): Backend {
  if (!e.instance) e.instance = e.factory();
  return e.instance;
}

/**
 * Makes `name` the active backend. Backends without async initialisation are
 * usable at once; others must be awaited with `ready()` before use.
 */
export function setBackend(name: string): void {
  const e = entryFor('setBackend', name);
  instantiate(e);
  registry.active = name;
}

/** The active backend (the default one if none was set). */
export function getBackend(name?: string): Backend {
  const n = name ?? registry.active ?? defaultName();
  const e = entryFor('getBackend', n);
  const b = instantiate(e);
  if (b.init && !e.initDone) {
    throw new NerveError(
      'getBackend',
      `backend '${n}' to be initialised`,
      'an uninitialised backend (await ready() first)',
    );
  }
  if (registry.active === null && name === undefined) registry.active = n;
  return b;
}

/** Name of the active backend. */
export function getBackendName(): string {
  return registry.active ?? defaultName();
}

/** Waits until a backend (the active one by default) has finished initialising. */
export async function ready(name?: string): Promise<Backend> {
  const n = name ?? registry.active ?? defaultName();
  const e = entryFor('ready', n);
  const b = instantiate(e);
  if (b.init && !e.initDone) {
    e.initialised ??= b.init().then(
      () => {
        e.initDone = true;
      },
      (err: unknown) => {
        // Not cached: a later ready() tries again (a device may appear).
        e.initialised = undefined;
        const others = listBackends().filter((o) => o !== n);
        const why = err instanceof Error ? err.message : String(err);
        const error = NerveError.raw(
          'ready',
          `backend '${n}' could not start: ${why}; ${others.length > 0 ? `backends registered here: ${others.join(', ')} (setBackend('${others[0]}'))` : 'no other backend is registered'}`,
        );
        (error as Error & { cause?: unknown }).cause = err;
        throw error;
      },
    );
    await e.initialised;
  }
  return b;
}
