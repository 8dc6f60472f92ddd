/**
 * State that must exist once per process, however many copies of
 * @nerve/core are loaded: the backend registry, the engine's memory
 * accounting (live tensors, buffers, tidy scopes, the grad flag) and the
 * default random generator's position.
 *
 * A process can hold two copies of core: an application that imports the
 * ESM build while a dependency `require()`s the CommonJS one, or npm nesting
 * a second version. With module-level state each copy would have its own
 * registry, and a backend imported through one copy would be missing in the
 * other ("expected a registered backend, received none"). So the state lives
 * on `globalThis` under `Symbol.for('@nerve/core/process-state')` (a key every
 * copy computes alike), and every copy reads and writes the same objects.
 *
 * Copies share data, never code: only plain objects, Maps, Sets, arrays and
 * the tensors and buffers they hold are stored here. Their shape is a
 * contract between copies, versioned by PROCESS_STATE_VERSION: a copy that
 * meets state of another version refuses to load with a clear error rather
 * than misreading it.
 */
import { NerveError } from './errors.js';

/**
 * The version of the shared state's shape. Bump it whenever a slot is
 * added, removed or changes shape (test/process-state.test.ts lists the
 * current shape, so such a change fails there first).
 */
export const PROCESS_STATE_VERSION = 1;

const KEY = Symbol.for('@nerve/core/process-state');

/** What sits under the global key. */
export interface ProcessState {
  /** PROCESS_STATE_VERSION of the copy that created it. */
  readonly version: number;
  /** One object per singleton, by name ('registry', 'engine', 'random'). */
  readonly slots: Record<string, object>;
}

/**
 * The process's shared state, created by the first copy of core that asks.
 * Throws when it was created by a copy with another shape.
 */
export function processState(): ProcessState {
  const holder = globalThis as { [KEY]?: unknown };
  const found = holder[KEY];
  if (found === undefined) {
    const state: ProcessState = { version: PROCESS_STATE_VERSION, slots: Object.create(null) };
    // Not enumerable, so it stays out of Object.keys(globalThis) and snapshots.
    Object.defineProperty(globalThis, KEY, { value: state, configurable: true, writable: false });
    return state;
  }
  const version = (found as { version?: unknown } | null)?.version;
  if (version !== PROCESS_STATE_VERSION || (found as ProcessState).slots === undefined) {
    throw new NerveError(
      '@nerve/core',
      `every copy of @nerve/core loaded in this process to share state version ${PROCESS_STATE_VERSION}`,
      `a copy with state version ${typeof version === 'number' ? version : String(version)} loaded first: two incompatible versions of @nerve/core are installed (list them with 'npm ls @nerve/core' and install one version, which every nerve package takes as a peer dependency)`,
    );
  }
  return found as ProcessState;
}

/**
 * The one instance of the singleton `name` in this process: made by
 * `create` in the first copy of core that asks, shared by the others.
 */
export function processSingleton<T extends object>(name: string, create: () => T): T {
  const { slots } = processState();
  let slot = slots[name];
  if (slot === undefined) {
    slot = create();
    slots[name] = slot;
  }
  return slot as T;
}
