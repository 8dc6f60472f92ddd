/**
 * The transfer page's worker: fetches the pretrained CNN (safetensors) and
 * the Fashion-MNIST subset, rebuilds the network from the file's metadata,
 * then learns the classes the user gives from the examples they pick or
 * draw three ways (transfer-core.ts: frozen backbone + new head, finetune,
 * scratch), and answers prediction requests. The page's thread only draws.
 */
import '@nerve/backend-cpu';
import { setBackend } from '@nerve/core';
import type { TensorDataset } from '@nerve/data';
import { type BackendChoice, type SiteBackend, useSiteBackend } from './site-backend.js';
import { fetchFashionSubset, fetchTransferCnn } from './fetch-fashion.js';
import {
  type FewShotRequest,
  type FewShotResult,
  type Method,
  type PretrainedCnn,
  loadPretrainedCnn,
  normalizeImages,
  runFewShot,
} from './transfer-core.js';

/** Images of one split shown in the page: rows of the subset, labels and 8-bit pixels (784 each). */
export interface Gallery {
  rows: number[];
  labels: number[];
  pixels: Uint8Array;
}

/**
 * What the page sends. `backend` is the visitor's choice (default 'cpu'):
 * the network is loaded on it, and a train request with another choice
 * moves it (reloads the pretrained weights on the new backend).
 */
export type TransferRequest =
  | { type: 'load'; backend?: BackendChoice }
  | { type: 'train'; request: FewShotRequest; backend?: BackendChoice }
  | { type: 'predict'; pixels: number[] };

/** What the worker posts. */
export type TransferMessage =
  | {
      type: 'ready';
      /** What `useSiteBackend` activated. */
      backend: SiteBackend;
      pretrained: { classes: string[]; accuracy: number; provenance: string; bytes: number };
      /** The first GALLERY images of each class 5–9 of the training subset, to pick from. */
      train: Gallery;
      /** The first PROBE test images of each class 5–9, to classify. */
      test: Gallery;
      seconds: number;
    }
  | { type: 'progress'; fraction: number; message: string }
  /** The backend changed (a train request with another choice). */
  | { type: 'backend'; backend: SiteBackend }
  | {
      type: 'result';
      accuracy: Record<Method, number> | null;
      seconds: Record<Method, number>;
      testImages: number;
      examples: number;
    }
  | { type: 'prediction'; probs: Record<Method, number[]> }
  | { type: 'error'; text: string };

/** Training images per class shown to pick from. */
export const GALLERY = 24;
/** Test images per class shown to classify. */
export const PROBE = 4;

let pre: PretrainedCnn | undefined;
/** The safetensors file, kept to reload the network on another backend. */
let cnnBytes: Uint8Array | undefined;
/** The subset stays on the CPU: the gallery and the tasks are cut from it on the host. */
let data: { train: TensorDataset; test: TensorDataset } | undefined;
let learned: FewShotResult | undefined;
/** The choice the network was loaded for, and what it gave. */
let current: { choice: BackendChoice; used: SiteBackend } | undefined;

const post = (m: TransferMessage): void => postMessage(m);

/**
 * Activates the chosen backend and (re)loads the pretrained network on it
 * when the choice changed. The images stay on the CPU; the tasks made from
 * them (transfer-core's shotsOf/testOf) are made on the active backend.
 */
async function useBackend(choice: BackendChoice): Promise<SiteBackend> {
  if (cnnBytes === undefined) throw new Error('backend: expected the assets loaded, received none');
  if (current?.choice === choice && pre !== undefined) return current.used;
  learned?.dispose();
  learned = undefined;
  pre?.model.dispose();
  pre = undefined;
  current = undefined;
  const used = await useSiteBackend(choice);
  pre = await loadPretrainedCnn(cnnBytes);
  current = { choice, used };
  return used;
}

/** The first `per` images of each of the classes 5–9 of a split, in dataset order. */
function gallery(ds: TensorDataset, per: number): Gallery {
  const labels = ds.tensors[1].dataSync() as Int32Array;
  const x = ds.tensors[0].dataSync() as Float32Array;
  const rows: number[] = [];
  for (let c = 5; c < 10; c++) {
    let n = 0;
    for (let r = 0; r < labels.length && n < per; r++) {
      if (labels[r] === c) {
        rows.push(r);
        n++;
      }
    }
  }
  const pixels = new Uint8Array(rows.length * 784);
  for (const [i, r] of rows.entries()) {
    for (let p = 0; p < 784; p++) pixels[i * 784 + p] = Math.round(x[r * 784 + p] * 255);
  }
  return { rows, labels: rows.map((r) => labels[r]), pixels };
}

async function load(backend: BackendChoice | undefined): Promise<void> {
  const t0 = performance.now();
  // The subset is decoded on the CPU and stays there.
  setBackend('cpu');
  const [bytes, subset] = await Promise.all([fetchTransferCnn(), fetchFashionSubset()]);
  cnnBytes = bytes;
  data = subset;
  const used = await useBackend(backend ?? 'cpu');
  if (pre === undefined) throw new Error('load: expected the network loaded, received none');
  post({
    type: 'ready',
    backend: used,
    pretrained: {
      classes: pre.classes,
      accuracy: pre.pretrainAccuracy,
      provenance: pre.provenance,
      bytes: bytes.length,
    },
    train: gallery(subset.train, GALLERY),
    test: gallery(subset.test, PROBE),
    seconds: (performance.now() - t0) / 1000,
  });
}

async function train(request: FewShotRequest, backend: BackendChoice | undefined): Promise<void> {
  if (data === undefined) throw new Error('train: expected the assets loaded, received none');
  const before = current?.choice;
  const used = await useBackend(backend ?? current?.choice ?? 'cpu');
  if (current?.choice !== before) post({ type: 'backend', backend: used });
  if (pre === undefined) throw new Error('train: expected the network loaded, received none');
  learned?.dispose();
  learned = undefined;
  let last = 0;
  const r = await runFewShot(pre, data, request, (fraction, message) => {
    const now = performance.now();
    if (now - last > 100 || fraction === 1) {
      last = now;
      post({ type: 'progress', fraction, message });
    }
  });
  learned = r;
  post({
    type: 'result',
    accuracy: r.accuracy,
    seconds: r.seconds,
    testImages: r.testImages,
    examples: r.examples,
  });
}

async function predict(pixels: number[]): Promise<Record<Method, number[]>> {
  if (pre === undefined || learned === undefined) {
    throw new Error('predict: expected a trained head, received none (train first)');
  }
  const x = normalizeImages(Float32Array.from(pixels), 1, pre.normalization);
  try {
    const p = await learned.predict(x);
    return { frozen: p.frozen[0], finetune: p.finetune[0], scratch: p.scratch[0] };
  } finally {
    x.dispose();
  }
}

const fail = (e: unknown) => {
  console.error(e);
  post({ type: 'error', text: String((e as Error)?.message ?? e) });
};

addEventListener('message', (ev: MessageEvent<TransferRequest>) => {
  const req = ev.data;
  if (req.type === 'load') load(req.backend).catch(fail);
  else if (req.type === 'train') train(req.request, req.backend).catch(fail);
  else predict(req.pixels).then((probs) => post({ type: 'prediction', probs }), fail);
});
