/**
 * Reading a shared study without its code: the header stores the space's
 * fingerprint (its parameters as canonical JSON), the seed and the searcher,
 * which is all it takes to rebuild every trial's parameters, queued ones
 * included. What `nerve tune show` prints.
 */
import { NerveError } from '@nerve/core/base';
import type { Param } from './params.js';
import { type Config, Space, setOwn } from './space.js';
import { openStudyStorage } from './open-storage.js';
import type { StoredTrial, StudyDefinition } from './storage.js';
import type { StudyHeader } from './study-file.js';

/** A stored study: its header and every trial. */
export interface ShownStudy {
  /** The study's name. */
  name: string;
  /** Where it is stored (a URL without its password, or a file path). */
  location: string;
  /** Space fingerprint, seed, searcher, metric, mode, pruners. */
  header: StudyHeader;
  /** Every trial, by id. */
  trials: StoredTrial[];
}

/** The search space a header's fingerprint describes. */
export function spaceFromFingerprint(fingerprint: string): Space {
  const pairs = JSON.parse(fingerprint) as [string, Param][];
  // Null prototype and own properties: a parameter named '__proto__' stays a name.
  const params: Record<string, Param> = Object.create(null);
  for (const [k, p] of pairs) setOwn(params, k, p);
  return new Space(params);
}

/** A definition that joins the study stored under `header` exactly as it is. */
export function definitionFromHeader(
  name: string,
  header: StudyHeader,
  planned: number,
): StudyDefinition {
  const sp = spaceFromFingerprint(header.space);
  const s = header.searcher as { kind: string; steps?: number };
  const grid = s.kind === 'grid' ? sp.grid(s.steps) : null;
  return {
    name,
    header,
    trials: planned,
    params: (id) => (grid ? grid[id] : (sp.sample(header.seed, id) as Config)),
  };
}

/** Reads study `name` from `location` (a postgresql:// URL or a JSON-lines file). */
export async function showStudy(location: string, name: string): Promise<ShownStudy> {
  const storage = await openStudyStorage(location);
  try {
    const found = await storage.readStudy(name);
    if (!found) {
      throw NerveError.raw('study storage', `no study '${name}' in ${storage.location}`);
    }
    await storage.openStudy(definitionFromHeader(name, found.header, found.planned));
    return {
      name,
      location: storage.location,
      header: found.header,
      trials: await storage.trials(),
    };
  } finally {
    await storage.close();
  }
}
