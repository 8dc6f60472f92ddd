/**
 * Pretrained models as files: the weights as safetensors (PyTorch's key
 * names) and, in the header's metadata under the key 'nerve', a JSON
 * description of the architecture, so the network can be rebuilt before
 * its weights are loaded. `nerve train --out` writes the same layout with
 * `{ spec, dataset }` as the description.
 */
import { NerveError, describeValue } from '@nerve/core';
import { type KeyMap, Module, load, readSafetensorsHeader, save } from '@nerve/layers';

/** The metadata key holding the architecture JSON. */
export const ARCHITECTURE_KEY = 'nerve';

/**
 * Saves `model`'s state dict to `path` (atomically) with `architecture`
 * (any JSON-able object) in the metadata; `metadata` adds other strings.
 */
export async function saveModel(
  path: string,
  model: Module,
  architecture: object,
  metadata: Record<string, string> = {},
): Promise<void> {
  const op = 'saveModel';
  if (!(model instanceof Module)) throw new NerveError(op, 'a Module', describeValue(model));
  if (architecture === null || typeof architecture !== 'object') {
    throw new NerveError(op, 'the architecture as a JSON-able object', describeValue(architecture));
  }
  let json: string;
  try {
    json = JSON.stringify(architecture);
  } catch (e) {
    throw NerveError.raw(op, `the architecture is not JSON-able: ${(e as Error).message}`);
  }
  if (Object.hasOwn(metadata, ARCHITECTURE_KEY)) {
    throw NerveError.raw(op, `metadata key '${ARCHITECTURE_KEY}' is reserved for the architecture`);
  }
  await save(model, path, { ...metadata, [ARCHITECTURE_KEY]: json });
}

/**
 * The metadata of a safetensors file, read from its header alone (bounded:
 * the header is checked against the file's size, and directories, devices
 * and FIFOs are refused by name).
 */
export async function readMetadata(path: string): Promise<Record<string, string>> {
  const op = 'readMetadata';
  if (typeof path !== 'string' || path === '')
    throw new NerveError(op, 'a file path', describeValue(path));
  return (await readSafetensorsHeader(path)).metadata;
}

/** The architecture description `saveModel` (or `nerve train --out`) stored in `path`. */
export async function readArchitecture<A = unknown>(path: string): Promise<A> {
  const meta = await readMetadata(path);
  const json = meta[ARCHITECTURE_KEY];
  if (json === undefined) {
    throw NerveError.raw(
      'readArchitecture',
      `${path} has no '${ARCHITECTURE_KEY}' metadata (was it written by saveModel or nerve train --out?)`,
    );
  }
  try {
    return JSON.parse(json) as A;
  } catch (e) {
    throw NerveError.raw(
      'readArchitecture',
      `${path}: '${ARCHITECTURE_KEY}' metadata is not JSON: ${(e as Error).message}`,
    );
  }
}

/** Options of `loadPretrained`. */
export interface LoadPretrainedOptions {
  /** Reject missing and unexpected keys (default true); shape mismatches are always rejected. */
  strict?: boolean;
  /** Renames the file's keys (e.g. `pytorchKeyMap({ features: '' })`). */
  keyMap?: KeyMap;
}

/** What `loadPretrained` returns: the model with its weights and the stored description. */
export interface Pretrained<M extends Module, A> {
  /** The model built from the stored architecture, with the file's weights. */
  model: M;
  /** The architecture description stored in the file's metadata. */
  architecture: A;
  /** Names the model has and the file lacked (only with strict false). */
  missingKeys: string[];
  /** Names the file has and the model lacks (only with strict false). */
  unexpectedKeys: string[];
  /** The file's string metadata. */
  metadata: Record<string, string>;
}

/**
 * Rebuilds a saved model: reads the architecture from the file's metadata,
 * calls `build(architecture)` and loads the weights into the result. A file
 * whose weights do not fit the built network is rejected with every
 * mismatched key named (nothing is loaded, and the built model is disposed).
 */
export async function loadPretrained<M extends Module, A = unknown>(
  path: string,
  build: (architecture: A) => M,
  opts: LoadPretrainedOptions = {},
): Promise<Pretrained<M, A>> {
  const op = 'loadPretrained';
  if (typeof build !== 'function') {
    throw new NerveError(op, 'build as a function (architecture) => Module', describeValue(build));
  }
  const architecture = await readArchitecture<A>(path);
  const model = build(architecture);
  if (!(model instanceof Module)) {
    throw new NerveError(op, 'build to return a Module', describeValue(model));
  }
  try {
    const r = await load(model, path, { strict: opts.strict, keyMap: opts.keyMap });
    return { model, architecture, ...r };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
