/**
 * Checkpoints of modules: `save` / `load` state dicts as safetensors, with
 * key renaming for checkpoints made by PyTorch (`pytorchKeyMap`).
 */
import { NerveError, type Tensor, tidy, describeValue } from '@nerve/core';
import type { LoadStateDictResult, Module } from './module.js';
import { setOwn } from './safetensors-format.js';
import { loadSafetensors, parseSafetensors, saveSafetensors } from './safetensors-io.js';

export * from './safetensors-io.js';

/** Renames a checkpoint key to this module's key, or drops it (null). */
export type KeyMap = (name: string) => string | null;

/** Options of `load`. */
export interface LoadOptions {
  /** Reject missing and unexpected keys (default true); shape and dtype mismatches are always rejected. */
  strict?: boolean;
  /** Applied to every key in the file before loading. */
  keyMap?: KeyMap;
}

/** What `load` loaded: keys the module lacked or the file lacked (non-strict), and the file's metadata. */
export interface LoadResult extends LoadStateDictResult {
  /** The file's `__metadata__` strings. */
  metadata: Record<string, string>;
}

/** Saves `module.stateDict()` to `path` as safetensors (atomically). */
export async function save(
  module: Module,
  path: string,
  metadata?: Record<string, string>,
): Promise<void> {
  if (typeof module?.stateDict !== 'function') {
    throw new NerveError('save', 'a Module', describeValue(module));
  }
  await saveSafetensors(path, module.stateDict(), metadata);
}

/**
 * Loads a safetensors file (path) or bytes into `module`: keys pass through
 * `keyMap` (null drops one), then `module.loadStateDict`, which rejects
 * missing, unexpected or mismatched keys in one error and changes nothing.
 */
export async function load(
  module: Module,
  pathOrBytes: string | Uint8Array,
  opts: LoadOptions = {},
): Promise<LoadResult> {
  if (typeof module?.loadStateDict !== 'function') {
    throw new NerveError('load', 'a Module', describeValue(module));
  }
  if (opts.keyMap !== undefined && typeof opts.keyMap !== 'function') {
    throw new NerveError(
      'load',
      'keyMap as a function (name) => string | null',
      describeValue(opts.keyMap),
    );
  }
  const { tensors, metadata } =
    typeof pathOrBytes === 'string'
      ? await loadSafetensors(pathOrBytes)
      : parseSafetensors(pathOrBytes);
  try {
    const dict = opts.keyMap ? renameKeys(tensors, opts.keyMap) : tensors;
    // tidy frees the copies loadStateDict makes and leaves un-disposed after
    // assign (the module keeps their buffers); a no-op once it frees them itself.
    const result = tidy(() => module.loadStateDict(dict, { strict: opts.strict ?? true }));
    return { ...result, metadata };
  } finally {
    // loadStateDict copied what it kept.
    for (const t of Object.values(tensors)) t.dispose();
  }
}

function renameKeys(tensors: Record<string, Tensor>, keyMap: KeyMap): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const from = new Map<string, string>();
  const problems: string[] = [];
  for (const name of Object.keys(tensors)) {
    const to = keyMap(name) as unknown;
    if (to === null) continue;
    if (typeof to !== 'string' || to === '') {
      problems.push(`keyMap('${name}') returned ${describeValue(to)}, expected a name or null`);
    } else if (from.has(to)) {
      problems.push(`'${from.get(to)}' and '${name}' both map to '${to}'`);
    } else {
      from.set(to, name);
      setOwn(out, to, tensors[name]);
    }
  }
  if (problems.length > 0) {
    throw NerveError.raw('load', `rejected (nothing was loaded): ${problems.join('; ')}`);
  }
  return out;
}

/**
 * A `keyMap` for checkpoints saved by PyTorch. It strips the `module.` prefix
 * that DataParallel / DistributedDataParallel add and the `_orig_mod.` prefix
 * of `torch.compile` (unless `stripWrappers` is false), then renames with
 * `mapping`: a function, or a record from dotted prefixes to new prefixes
 * (`{ fc: 'classifier' }` maps `fc.weight` to `classifier.weight`; the longest
 * matching prefix wins; null drops the key). Unmatched keys pass through.
 */
export function pytorchKeyMap(
  mapping: Record<string, string | null> | ((name: string) => string | null) = {},
  opts: { stripWrappers?: boolean } = {},
): KeyMap {
  const strip = opts.stripWrappers ?? true;
  if (typeof mapping !== 'function' && (typeof mapping !== 'object' || mapping === null)) {
    throw new NerveError(
      'pytorchKeyMap',
      'a record of prefixes or a function',
      describeValue(mapping),
    );
  }
  const prefixes =
    typeof mapping === 'function' ? [] : Object.keys(mapping).sort((a, b) => b.length - a.length);
  return (name: string) => {
    let key = name;
    if (strip)
      for (const w of ['module.', '_orig_mod.']) if (key.startsWith(w)) key = key.slice(w.length);
    if (typeof mapping === 'function') return mapping(key);
    for (const p of prefixes) {
      if (key === p || key.startsWith(`${p}.`)) {
        const to = mapping[p];
        if (to === null) return null;
        // An empty replacement removes the prefix and its dot.
        return to === '' ? key.slice(p.length + 1) || null : `${to}${key.slice(p.length)}`;
      }
    }
    return key;
  };
}
