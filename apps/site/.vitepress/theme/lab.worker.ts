/**
 * A lab page's worker: runs one experiment with `runExperiment`, the same
 * code as `nerve lab run`, on the CPU backend, and posts progress and the
 * result (plain data: findings, tables, figures) for the page to draw.
 */
import '@nerve/backend-cpu';
import type { LabData, LabResult } from '@nerve/lab';
import { getExperiment, runExperiment } from '@nerve/lab';
import { fetchDigits } from './fetch-digits.js';

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
  const { id, quick, params, seed } = ev.data;
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
      (result) => post({ type: 'result', result }),
      (e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }),
    );
});
