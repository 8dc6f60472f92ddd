/**
 * A trial worker of the /search page: prepares the digits once (the split
 * `nerve train` makes), then trains the trials the page sends, one at a
 * time, posting each epoch's metrics and waiting for the study's answer
 * (stop or continue) before the next epoch.
 */
import * as cpu from '@nerve/backend-cpu';
import { type Tensor, setBackend, toBackend } from '@nerve/core';
import { TensorDataset, digitsTrainValFrom } from '@nerve/data';
import { fetchDigits } from './fetch-digits.js';
import { type TrialData, trainTrial } from './search-objective.js';
import type { TrialConfig } from './search-study.js';
import { type BackendChoice, type SiteBackend, useSiteBackend } from './site-backend.js';

/** What the page sends. */
export type SearchRequest =
  | { type: 'init'; worker: number; backend?: BackendChoice }
  | { type: 'run'; id: number; config: TrialConfig; seed: number }
  | { type: 'decision'; id: number; epoch: number; stop: boolean };

/** What the worker posts. */
export type SearchMessage =
  | { type: 'ready'; worker: number; backend: SiteBackend }
  | { type: 'report'; id: number; epoch: number; metrics: Record<string, number> }
  | { type: 'done'; id: number; error?: string }
  | { type: 'error'; text: string };

const post = (m: SearchMessage): void => postMessage(m);

/**
 * Makes the visitor's backend current (`useSiteBackend`). Trials are the
 * parallelism here, so on the CPU each worker's kernels keep to one thread
 * (as tune's worker threads do).
 */
async function activateBackend(choice: BackendChoice): Promise<SiteBackend> {
  const used = await useSiteBackend(choice);
  if (used.name !== 'cpu') return used;
  cpu.setThreads(1);
  const why = 'Trials run in parallel workers, so each worker keeps to one CPU thread.';
  return { ...used, threads: 1, note: used.note === '' ? why : `${used.note} ${why}` };
}

let data: Promise<TrialData> | undefined;
let workerId = 0;
const waiting = new Map<string, (stop: boolean) => void>();

/**
 * The split `nerve train` makes, on the CPU (the stratified split and the
 * scaler read synchronously, which WebGPU cannot), then moved to `backend`.
 */
async function prepare(backend: string): Promise<TrialData> {
  setBackend('cpu');
  const digits = await fetchDigits();
  let split: ReturnType<typeof digitsTrainValFrom>;
  try {
    split = digitsTrainValFrom(digits);
  } finally {
    (digits.x as Tensor).dispose();
    (digits.y as Tensor).dispose();
  }
  const { train, val, test } = split;
  test.dispose();
  setBackend(backend);
  if (backend === 'cpu') return { train, val };
  const move = async (d: TensorDataset) =>
    new TensorDataset(...(await Promise.all(d.tensors.map((t) => toBackend(t, backend)))));
  try {
    return { train: await move(train), val: await move(val) };
  } finally {
    train.dispose();
    val.dispose();
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
        data ??= prepare(backend.name);
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
