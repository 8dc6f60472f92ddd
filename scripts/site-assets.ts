/**
 * `pnpm site:assets`: makes the site's web-sized data and pretrained
 * network (issue 13) from Debian's dataset-fashion-mnist
 * (/usr/share/datasets/fashion-mnist), into apps/site/assets/:
 *
 * - `fashion-mnist-subset/`: the four IDX files of Fashion-MNIST (Xiao,
 *   Rasul & Vollgraf 2017, MIT licence), cut to the first 600 training and
 *   the first 100 test images of every class, in dataset order (6,000 +
 *   1,000 images), gzipped. `loadFashionMnist({ dataDir })` reads the folder
 *   as it reads the full dataset.
 * - `transfer-cnn.safetensors`: the lab's transfer CNN (8/16/32 channels,
 *   BatchNorm) pretrained on Fashion classes 0–4 by the transfer
 *   experiment's own code (`loadSplit`, `pretrain`) at its default settings
 *   and seed on the full dataset, with the metadata to rebuild it: the
 *   architecture under 'nerve' (as `saveModel` writes it), the pixel
 *   normalization, the class names and the pretrained accuracy.
 *
 * Deterministic for the seed: both files are byte for byte the same on every
 * run (gzip with no timestamp; the CPU backend's training is deterministic).
 * Prints each file's size and the pretrained network's test accuracy.
 */
import '@nerve/backend-cpu';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { setBackend } from '@nerve/core';
import { FASHION_MNIST_SYSTEM_DIR, loadIdx } from '@nerve/data';
import { getExperiment, resolveParams } from '@nerve/lab';
import { nodeLabData } from '@nerve/lab/node';
import { serializeSafetensors } from '@nerve/layers';
import { pretrain, settings } from '../packages/lab/src/experiments/transfer.js';
import {
  HEAD,
  accuracy,
  disposeSplit,
  loadSplit,
} from '../packages/lab/src/experiments/transfer-net.js';

const assets = fileURLToPath(new URL('../apps/site/assets/', import.meta.url));

/** Images per class in the subset. */
export const SUBSET = { train: 600, test: 100 } as const;

/** Writes through a temporary in the same folder; returns the size and sha256. */
function writeAtomic(path: string, bytes: Uint8Array): string {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `${path.slice(assets.length)}: ${(bytes.length / 1024).toFixed(1)} KB, sha256 ${sha}…`;
}

/** An IDX file of unsigned bytes: magic 00 00 08 rank, big-endian dims, data. */
function idxBytes(shape: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 8, shape.length]);
  for (const [i, d] of shape.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(data, 4 + 4 * shape.length);
  return out;
}

/** The first `perClass` rows of every class, in dataset order. */
function balancedRows(labels: Uint8Array, perClass: number): number[] {
  const count = new Array<number>(10).fill(0);
  const rows: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (count[labels[i]] < perClass) {
      count[labels[i]]++;
      rows.push(i);
    }
  }
  if (count.some((c) => c < perClass))
    throw new Error(`fewer than ${perClass} of a class: ${count}`);
  return rows;
}

function writeSubset(): string[] {
  const dir = join(assets, 'fashion-mnist-subset');
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const [prefix, perClass] of [
    ['train', SUBSET.train],
    ['t10k', SUBSET.test],
  ] as const) {
    const images = loadIdx(join(FASHION_MNIST_SYSTEM_DIR, `${prefix}-images-idx3-ubyte.gz`));
    const labels = loadIdx(join(FASHION_MNIST_SYSTEM_DIR, `${prefix}-labels-idx1-ubyte.gz`));
    const rows = balancedRows(labels.data, perClass);
    const [, h, w] = images.shape;
    const px = h * w;
    const img = new Uint8Array(rows.length * px);
    for (const [i, r] of rows.entries())
      img.set(images.data.subarray(r * px, (r + 1) * px), i * px);
    const lab = Uint8Array.from(rows, (r) => labels.data[r]);
    const gz = (b: Uint8Array) => gzipSync(b, { level: 9 });
    lines.push(
      writeAtomic(
        join(dir, `${prefix}-images-idx3-ubyte.gz`),
        gz(idxBytes([rows.length, h, w], img)),
      ),
      writeAtomic(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gz(idxBytes([rows.length], lab))),
    );
  }
  return lines;
}

/** The architecture stored under the 'nerve' metadata key. */
export interface TransferCnnArchitecture {
  model: 'transferCnn';
  channels: number[];
  classes: number;
  /** Index of the head in the Sequential; children before it are the backbone. */
  head: number;
  resolution: number;
}

async function writeNetwork(): Promise<string[]> {
  const exp = getExperiment('transfer');
  const params = resolveParams(exp, {}, false);
  const s = settings(params);
  const seed = exp.seed;
  const t0 = performance.now();
  const split = await loadSplit(nodeLabData, s.pretrainImages, s.testImages, s.resolution);
  try {
    const { model, steps } = await pretrain(split, s, seed, {});
    const seconds = (performance.now() - t0) / 1000;
    try {
      const acc = await accuracy(model, split.pretrainTest.x, split.pretrainTest.y);
      // The normalization loadSplit applied (the pretraining pixels' mean
      // and std), stored so that a user normalizes new images the same way.
      const { mean, std } = split.normalization;
      const architecture: TransferCnnArchitecture = {
        model: 'transferCnn',
        channels: s.channels,
        classes: 5,
        head: HEAD,
        resolution: s.resolution,
      };
      const metadata = {
        nerve: JSON.stringify(architecture),
        normalization: JSON.stringify({ mean, std }),
        classes: JSON.stringify(['T-shirt/top', 'trouser', 'pullover', 'dress', 'coat']),
        pretrainAccuracy: acc.toFixed(4),
        pretrainTestImages: String(split.pretrainTest.x.shape[0]),
        provenance: `nerve lab transfer experiment, seed ${seed}, default settings (${s.pretrainImages} Fashion-MNIST training images of classes 0–4, ${s.pretrainEpochs} epochs, ${steps} Adam steps at lr ${s.pretrainLr}, ${s.schedule} schedule); made by scripts/site-assets.ts. Fashion-MNIST: Xiao, Rasul & Vollgraf 2017, MIT licence.`,
      };
      const bytes = await serializeSafetensors(model.stateDict(), metadata);
      return [
        writeAtomic(join(assets, 'transfer-cnn.safetensors'), bytes),
        `pretrained on ${split.pretrain.x.shape[0]} images in ${seconds.toFixed(1)} s; test accuracy on ${split.pretrainTest.x.shape[0]} images of classes 0–4: ${acc.toFixed(4)}; normalization mean ${mean}, std ${std}`,
      ];
    } finally {
      model.dispose();
    }
  } finally {
    disposeSplit(split);
  }
}

async function main(): Promise<void> {
  setBackend('cpu');
  for (const line of writeSubset()) console.log(line);
  for (const line of await writeNetwork()) console.log(line);
}

await main();
