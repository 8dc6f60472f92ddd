/**
 * A lab page's worker: runs one experiment with `runExperiment`, the same
 * code as `nerve lab run`, on the CPU backend, and posts progress and the
 * result (plain data: findings, tables, figures) for the page to draw.
 */
import '@nerve/backend-cpu';
import type { LabData, LabResult } from '@nerve/lab';
import { getExperiment, runExperiment } from '@nerve/lab';
import { fetchDigits } from './fetch-digits.js';
import { fetchFashionSubset } from './fetch-fashion.js';

/** What the page sends. */
export interface LabRequest {
  id: string;
  quick: boolean;
  params: Record<string, number | string | boolean>;
  seed?: number;
}

/** What the worker posts. */
export type LabMessage =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'result'; result: LabResult }
  | { type: 'error'; text: string };

/** Whether this run read Fashion-MNIST (then its result says it was the site's subset). */
let usedFashion = false;

/**
 * The browser's LabData: the digits asset, and for Fashion-MNIST the site's
 * subset (the first 600 training and 100 test images of each class; see
 * apps/site/assets/README.md), fetched only when an experiment asks for it.
 */
const browserLabData: LabData = {
  digits: fetchDigits,
  fashionMnist: () => {
    usedFashion = true;
    return fetchFashionSubset();
  },
};

/**
 * Parameters that count images of the full Fashion-MNIST, cut to what the
 * subset holds (6,000 training images) where taking more would fail.
 */
const SUBSET_CAPS: Record<string, Record<string, number>> = {
  preprocessing: { fashionImages: 6000 },
};

const SUBSET_NOTE =
  'Fashion-MNIST here is the site’s subset: 6,000 training and 1,000 test images (600 and 100 per class) of the 70,000, so image counts above what it holds are cut to it (e.g. transfer pretrains on at most 3,000 images of classes 0–4 and tests on at most 500 of classes 5–9); `nerve lab run` in Node reads the full set, so its numbers differ from this page’s for experiments on Fashion-MNIST.';

const post = (m: LabMessage): void => postMessage(m);

addEventListener('message', (ev: MessageEvent<LabRequest>) => {
  const { id, quick, seed } = ev.data;
  const params = { ...ev.data.params };
  for (const [name, cap] of Object.entries(SUBSET_CAPS[id] ?? {})) {
    if (typeof params[name] === 'number' && (params[name] as number) > cap) params[name] = cap;
  }
  usedFashion = false;
  Promise.resolve()
    .then(() =>
      runExperiment(getExperiment(id), {
        backend: 'cpu',
        quick,
        params,
        ...(seed === undefined ? {} : { seed }),
        data: browserLabData,
        onProgress: (p) => post({ type: 'progress', fraction: p.fraction, message: p.message }),
      }),
    )
    .then(
      (result) => {
        if (usedFashion) result.notes = [SUBSET_NOTE, ...(result.notes ?? [])];
        post({ type: 'result', result });
      },
      (e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }),
    );
});
