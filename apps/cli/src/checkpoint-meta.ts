/**
 * What a checkpoint trained on data of the user's own keeps about preparing
 * new data (the table's encoding, the images' size and channels, the
 * training part's standardization), checked, and the network it holds:
 * shared by nerve predict and nerve eval.
 */
import { NerveError } from '@nerve/core';
import { Standardize, checkTableEncoding } from '@nerve/data';
import type { Module } from '@nerve/layers';
import { loadCheckpoint } from '@nerve/train';
import { type ImageMeta, type TableMeta, standardizeState } from './datasets.js';
import { type ModelSpec, buildModel } from './models.js';

/** The table description a checkpoint keeps, every part checked before anything is built. */
export function tableMeta(
  path: string,
  nerve: string | undefined,
  OP = 'nerve predict',
): TableMeta {
  const meta = JSON.parse(nerve ?? '{}') as { table?: unknown };
  const t = meta.table as Partial<TableMeta> | undefined;
  if (t === undefined || t === null || typeof t !== 'object') {
    throw NerveError.raw(
      OP,
      `checkpoint '${path}' was not trained on a table (nerve train --csv); use nerve eval for the built-in data sets`,
    );
  }
  const encoding = checkTableEncoding(`${OP}: checkpoint '${path}'`, t.encoding);
  const scaler = new Standardize({ mode: 'perFeature' });
  scaler.loadStateDict(standardizeState(t.standardize as TableMeta['standardize']));
  if ((t.standardize as TableMeta['standardize']).mean.length !== encoding.features.length) {
    throw NerveError.raw(
      OP,
      `checkpoint '${path}' standardizes ${(t.standardize as TableMeta['standardize']).mean.length} inputs, its encoding has ${encoding.features.length}`,
    );
  }
  if (encoding.task === 'regression') {
    const g = t.target;
    if (!g || !Number.isFinite(g.mean) || !(g.scale > 0)) {
      throw NerveError.raw(OP, `checkpoint '${path}' has no valid regression target scale`);
    }
  }
  return t as TableMeta;
}

/** The network a checkpoint holds, rebuilt from its spec, loaded and in evaluation mode. */
export async function loadedModel(path: string, spec: ModelSpec): Promise<Module> {
  const model = buildModel(spec);
  try {
    await loadCheckpoint(path, model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model.eval();
}

/** The training part's standardization as a checkpoint keeps it, ready to transform. */
export function scalerOf(s: TableMeta['standardize'] | ImageMeta['standardize']): Standardize {
  const scaler = new Standardize({ mode: s.mode });
  scaler.loadStateDict(standardizeState(s));
  return scaler;
}

/** The image description a checkpoint keeps, checked. */
export function imageMeta(
  path: string,
  nerve: string | undefined,
  OP = 'nerve predict',
): ImageMeta {
  const m = (JSON.parse(nerve ?? '{}') as { images?: Partial<ImageMeta> }).images;
  const bad = (what: string) =>
    NerveError.raw(OP, `checkpoint '${path}' has an invalid image description: ${what}`);
  if (!m || typeof m !== 'object') throw bad('none');
  if (!Array.isArray(m.classes) || !m.classes.every((c) => typeof c === 'string'))
    throw bad('classes');
  if (!Number.isInteger(m.size) || (m.size as number) < 1) throw bad('size');
  if (m.channels !== 1 && m.channels !== 3) throw bad('channels');
  const scaler = new Standardize({ mode: m.standardize?.mode ?? 'perChannel' });
  scaler.loadStateDict(standardizeState(m.standardize as ImageMeta['standardize']));
  return m as ImageMeta;
}
