/**
 * A lab page's worker: runs one experiment with `runExperiment`, the same
 * code as `nerve lab run`, on the backend the visitor chose
 * (`useSiteBackend`), and posts which backend runs, progress and the result
 * (plain data: findings, tables, figures) for the page to draw. The page
 * starts a new worker for every run, so a switch starts clean.
 */
import '@nerve/backend-cpu';
import type { LabData, LabResult } from '@nerve/lab';
import { getExperiment, runExperiment } from '@nerve/lab';
import { fetchDigits } from './fetch-digits.js';
import { fetchFashionSubset } from './fetch-fashion.js';
import { type BackendChoice, type SiteBackend, useSiteBackend } from './site-backend.js';

/** What the page sends. */
export interface LabRequest {
  id: string;
  quick: boolean;
  params: Record<string, number | string | boolean>;
  seed?: number;
  /** The visitor's choice (default 'cpu'). */
  backend?: BackendChoice;
}

/** What the worker posts. */
export type LabMessage =
  | { type: 'backend'; backend: SiteBackend }
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

function run(req: LabRequest, backend: string): Promise<LabResult> {
  return runExperiment(getExperiment(req.id), {
    backend,
    quick: req.quick,
    params: req.params,
    ...(req.seed === undefined ? {} : { seed: req.seed }),
    data: browserLabData,
    onProgress: (p) => post({ type: 'progress', fraction: p.fraction, message: p.message }),
  });
}

/**
 * Runs on the chosen backend. Every experiment prepares its data on the CPU
 * (splits and fitted statistics read synchronously) and trains on the
 * chosen backend, reading results asynchronously, so all of them run on
 * WebGPU. Should one still fail there (e.g. a buffer over the adapter's
 * limits) where auto picked WebGPU, it runs again on the CPU and the note
 * says why (an explicit WebGPU choice reports the error instead).
 */
async function start(req: LabRequest): Promise<LabResult> {
  const choice = req.backend ?? 'cpu';
  const used = await useSiteBackend(choice);
  post({ type: 'backend', backend: used });
  try {
    return await run(req, used.name);
  } catch (e) {
    if (choice !== 'auto' || used.name === 'cpu') throw e;
    const cpu = await useSiteBackend('cpu');
    const why = `WebGPU could not run this experiment (${String((e as Error)?.message ?? e)}), so auto ran it on the CPU.`;
    post({ type: 'backend', backend: { ...cpu, note: cpu.note ? `${why} ${cpu.note}` : why } });
    return run(req, 'cpu');
  }
}

addEventListener('message', (ev: MessageEvent<LabRequest>) => {
  const req = { ...ev.data, params: { ...ev.data.params } };
  for (const [name, cap] of Object.entries(SUBSET_CAPS[req.id] ?? {})) {
    if (typeof req.params[name] === 'number' && (req.params[name] as number) > cap) {
      req.params[name] = cap;
    }
  }
  usedFashion = false;
  start(req).then(
    (result) => {
      if (usedFashion) result.notes = [SUBSET_NOTE, ...(result.notes ?? [])];
      post({ type: 'result', result });
    },
    (e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }),
  );
});
