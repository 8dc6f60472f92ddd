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
 * Runs on the chosen backend. Most experiments split and standardize the
 * digits on the training backend, which needs synchronous reads that WebGPU
 * does not have: where auto picked WebGPU and the experiment fails there,
 * it runs again on the CPU and the note says why (an explicit WebGPU choice
 * reports the error instead).
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
  start(ev.data).then(
    (result) => post({ type: 'result', result }),
    (e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }),
  );
});
