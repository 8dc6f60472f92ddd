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

/** What the page sends. */
export type TransferRequest =
  | { type: 'load'; backend?: string }
  | { type: 'train'; request: FewShotRequest }
  | { type: 'predict'; pixels: number[] };

/** What the worker posts. */
export type TransferMessage =
  | {
      type: 'ready';
      backend: string;
      pretrained: { classes: string[]; accuracy: number; provenance: string; bytes: number };
      /** The first GALLERY images of each class 5–9 of the training subset, to pick from. */
      train: Gallery;
      /** The first PROBE test images of each class 5–9, to classify. */
      test: Gallery;
      seconds: number;
    }
  | { type: 'progress'; fraction: number; message: string }
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
let data: { train: TensorDataset; test: TensorDataset } | undefined;
let learned: FewShotResult | undefined;

const post = (m: TransferMessage): void => postMessage(m);

/**
 * Makes the chosen backend active; the CPU backend for now (the site's
 * backend picker replaces this one function).
 */
async function useBackend(_choice: string | undefined): Promise<string> {
  setBackend('cpu');
  return 'cpu';
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

async function load(backend: string | undefined): Promise<void> {
  const t0 = performance.now();
  const name = await useBackend(backend);
  const [bytes, subset] = await Promise.all([fetchTransferCnn(), fetchFashionSubset()]);
  pre = await loadPretrainedCnn(bytes);
  data = subset;
  post({
    type: 'ready',
    backend: name,
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

async function train(request: FewShotRequest): Promise<void> {
  if (pre === undefined || data === undefined)
    throw new Error('train: expected the assets loaded, received none');
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

function predict(pixels: number[]): Record<Method, number[]> {
  if (pre === undefined || learned === undefined) {
    throw new Error('predict: expected a trained head, received none (train first)');
  }
  const x = normalizeImages(Float32Array.from(pixels), 1, pre.normalization);
  try {
    const p = learned.predict(x);
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
  else if (req.type === 'train') train(req.request).catch(fail);
  else {
    try {
      post({ type: 'prediction', probs: predict(req.pixels) });
    } catch (e) {
      fail(e);
    }
  }
});
