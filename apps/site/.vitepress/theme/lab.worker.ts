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

/** The browser's LabData: the digits asset fetched; Fashion-MNIST not shipped yet. */
const browserLabData: LabData = {
  digits: fetchDigits,
  fashionMnist: async () => {
    throw new Error(
      'fashionMnist: expected Fashion-MNIST, received none: the site does not ship it yet (run this experiment with `nerve lab run` in Node)',
    );
  },
};

const post = (m: LabMessage): void => postMessage(m);

addEventListener('message', (ev: MessageEvent<LabRequest>) => {
  const { id, quick, params, seed, backend } = ev.data;
  useSiteBackend(backend ?? 'cpu')
    .then((used) => {
      post({ type: 'backend', backend: used });
      return runExperiment(getExperiment(id), {
        backend: used.name,
        quick,
        params,
        ...(seed === undefined ? {} : { seed }),
        data: browserLabData,
        onProgress: (p) => post({ type: 'progress', fraction: p.fraction, message: p.message }),
      });
    })
    .then(
      (result) => post({ type: 'result', result }),
      (e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }),
    );
});
