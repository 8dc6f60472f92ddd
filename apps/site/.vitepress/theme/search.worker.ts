/**
 * A trial worker of the /search page: prepares the digits once (the split
 * `nerve train` makes), then trains the trials the page sends, one at a
 * time, posting each epoch's metrics and waiting for the study's answer
 * (stop or continue) before the next epoch.
 */
import * as cpu from '@nerve/backend-cpu';
import { type Tensor, setBackend } from '@nerve/core';
import { digitsTrainValFrom } from '@nerve/data';
import { fetchDigits } from './fetch-digits.js';
import { type TrialData, trainTrial } from './search-objective.js';
import type { TrialConfig } from './search-study.js';

/** What the page sends. */
export type SearchRequest =
  | { type: 'init'; worker: number; backend?: 'auto' | 'cpu' | 'webgpu' }
  | { type: 'run'; id: number; config: TrialConfig; seed: number }
  | { type: 'decision'; id: number; epoch: number; stop: boolean };

/** What the worker posts. */
export type SearchMessage =
  | { type: 'ready'; worker: number; backend: string }
  | { type: 'report'; id: number; epoch: number; metrics: Record<string, number> }
  | { type: 'done'; id: number; error?: string }
  | { type: 'error'; text: string };

const post = (m: SearchMessage): void => postMessage(m);

/**
 * Makes the backend current. The one place to change when the site's
 * backend picker (site-backend.ts) arrives: `await useSiteBackend(choice)`.
 * Trials are the parallelism here, so each worker's kernels keep to one
 * thread (as tune's worker threads do).
 */
async function activateBackend(_choice: 'auto' | 'cpu' | 'webgpu'): Promise<string> {
  cpu.setThreads(1);
  setBackend('cpu');
  return 'cpu';
}

let data: Promise<TrialData> | undefined;
let workerId = 0;
const waiting = new Map<string, (stop: boolean) => void>();

async function prepare(): Promise<TrialData> {
  const digits = await fetchDigits();
  try {
    const { train, val, test } = digitsTrainValFrom(digits);
    test.dispose();
    return { train, val };
  } finally {
    (digits.x as Tensor).dispose();
    (digits.y as Tensor).dispose();
  }
}

async function run(req: Extract<SearchRequest, { type: 'run' }>): Promise<void> {
  try {
    const d = await (data as Promise<TrialData>);
    await trainTrial(d, req, (epoch, metrics) => {
      const answer = new Promise<boolean>((resolve) => waiting.set(`${req.id}:${epoch}`, resolve));
      post({ type: 'report', id: req.id, epoch, metrics });
      return answer;
    });
    post({ type: 'done', id: req.id });
  } catch (e) {
    console.error(e);
    post({ type: 'done', id: req.id, error: String((e as Error)?.message ?? e) });
  }
}

addEventListener('message', (ev: MessageEvent<SearchRequest>) => {
  const req = ev.data;
  if (req.type === 'init') {
    workerId = req.worker;
    activateBackend(req.backend ?? 'cpu')
      .then((backend) => {
        data ??= prepare();
        return data.then(() => post({ type: 'ready', worker: workerId, backend }));
      })
      .catch((e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }));
  } else if (req.type === 'run') {
    void run(req);
  } else {
    const key = `${req.id}:${req.epoch}`;
    waiting.get(key)?.(req.stop);
    waiting.delete(key);
  }
});
