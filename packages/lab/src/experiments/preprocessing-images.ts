/**
 * Preprocessing images: mean-image against per-channel centring on the
 * digits, and why PCA whitening is rarely used on images: it scales every
 * direction to unit variance, so the low-variance directions, which hold
 * mostly noise, are amplified as much as the directions that hold the shapes.
 */
import { type Tensor, add, randn, tidy } from '@nerve/core';
import { PCA, ZCAWhiten, ZeroCenter } from '@nerve/data';
import type { Figure, Finding, Table } from '@nerve/plot';
import { columnMeans, sig } from './preprocessing-stats.js';

/** What a part returns. */
export interface PartResult {
  findings: Finding[];
  tables: Table[];
  figures: Figure[];
  notes: string[];
}

/** Mean image vs per-channel centring of raw digits x [n, 64] (training split). */
export async function centringPart(train: Tensor): Promise<PartResult> {
  const image = await new ZeroCenter({ mode: 'meanImage' }).fitAsync(train);
  const channel = await new ZeroCenter({ mode: 'perChannel', channels: 1 }).fitAsync(train);
  const n = train.shape[0];
  const d = train.shape[1];
  const byImage = image.transform(train);
  const byChannel = channel.transform(train);
  const leftImage = columnMeans(await byImage.data(), n, d);
  const leftChannel = columnMeans(await byChannel.data(), n, d);
  byImage.dispose();
  byChannel.dispose();
  const meanImage = image.stateDict().mean as Float32Array;
  const channelMean = (channel.stateDict().mean as Float32Array)[0];
  const maxLeftImage = Math.max(...Array.from(leftImage, Math.abs));
  const overall = leftChannel.reduce((a, b) => a + b, 0) / d;
  const lo = Math.min(...leftChannel);
  const hi = Math.max(...leftChannel);
  // float32 means of ~1,400 values up to 16: rounding stays below 1e-4.
  const tol = 1e-4;
  const findings: Finding[] = [
    {
      statement:
        "Mean-image centring subtracts one mean per pixel and zeroes every pixel's training mean; per-channel centring subtracts one number per channel and leaves the per-pixel means",
      measured: `mean image ranges ${sig(Math.min(...meanImage))}..${sig(Math.max(...meanImage))}; after it, max |pixel mean| ${maxLeftImage.toExponential(1)}. Per-channel mean ${sig(channelMean)} (one channel); after it, the overall mean is ${overall.toExponential(1)} but pixel means span ${sig(lo)}..${sig(hi)}`,
      held: maxLeftImage <= tol && Math.abs(overall) <= tol && hi - lo > 1,
    },
  ];
  const figures: Figure[] = [
    {
      kind: 'heatmap',
      id: 'mean-image',
      title: 'The mean digit (subtracted by mean-image centring)',
      caption: `Training mean of each of the 64 pixels (0..16); per-channel centring subtracts only its average, ${sig(channelMean)}`,
      panels: [
        { name: 'mean image', rows: 8, cols: 8, values: Array.from(meanImage, (v) => sig(v)) },
      ],
      scheme: 'gray',
    },
    {
      kind: 'heatmap',
      id: 'centring-residual',
      title: 'Per-pixel training means left after centring',
      panels: [
        {
          name: 'after per-channel centring',
          rows: 8,
          cols: 8,
          values: Array.from(leftChannel, (v) => sig(v)),
        },
        {
          name: 'after mean-image centring',
          rows: 8,
          cols: 8,
          // What is left is float32 rounding (≤ 1e-6, measured in the finding);
          // drawn as the exact 0 it stands for, not as coloured noise.
          values: Array.from(leftImage, (v) => (Math.abs(v) < tol ? 0 : sig(v))),
        },
      ],
      scheme: 'diverging',
    },
  ];
  return {
    findings,
    tables: [],
    figures,
    notes: [
      'Digits and Fashion-MNIST are grayscale, so per-channel centring subtracts a single number; on colour images (CIFAR-10, ImageNet) it subtracts three, one per RGB channel, as VGGNet does, while AlexNet subtracted the mean image.',
    ],
  };
}

/** Options of whiteningPart. */
export interface WhiteningOptions {
  /** Added to each eigenvalue before the square root. */
  eps: number;
  /** A larger, regularising ε for comparison. */
  epsLarge: number;
  /** Std of the pixel noise added to held-out images, in the data's units. */
  noise: number;
  seed: number;
  /** A name for the data set in texts and figure ids ('digits', 'fashion'). */
  name: string;
  /** Image side (8 for digits, 28 for Fashion-MNIST). */
  side: number;
  /** How many held-out images to draw. */
  show: number;
}

/**
 * Fits ZCA whitening (and PCA for the spectrum) on `train` [n, D], then
 * measures on held-out `test` [m, D] plus Gaussian pixel noise: the
 * signal-to-noise ratio before and after whitening, and per eigen-direction
 * the variance of signal and noise. Returns the whitened images too.
 */
export async function whiteningPart(
  train: Tensor,
  test: Tensor,
  o: WhiteningOptions,
): Promise<PartResult> {
  const d = train.shape[1];
  const m = test.shape[0];
  const pca = await new PCA({ components: d }).fitAsync(train);
  const state = pca.stateDict();
  const lambda = state.eigenvalues as Float32Array;
  const vectors = state.eigenvectors as Float32Array;
  const mu = state.mean as Float32Array;
  const noise = tidy(() => randn([m, d], { seed: o.seed, std: o.noise }));
  const noisy = tidy(() => add(test, noise));
  let measured: Whitened[];
  let tv: Float32Array;
  let nv: Float32Array;
  try {
    tv = (await test.data()) as Float32Array;
    nv = (await noise.data()) as Float32Array;
    measured = [
      await zcaSnr(train, test, noisy, o.eps),
      await zcaSnr(train, test, noisy, o.epsLarge),
    ];
  } finally {
    noise.dispose();
    noisy.dispose();
  }
  // Signal: held-out images minus the training mean; noise: what was added.
  let sBefore = 0;
  let nBefore = 0;
  for (let i = 0; i < m * d; i++) {
    const s = tv[i] - mu[i % d];
    sBefore += s * s;
    nBefore += nv[i] * nv[i];
  }
  const [small, large] = measured;
  const db = (r: number) => 10 * Math.log10(r);
  const snrBefore = db(sBefore / nBefore);
  const snrAfter = db(small.power[0] / small.power[1]);
  const snrLarge = db(large.power[0] / large.power[1]);
  // The same from the training spectrum alone, for white noise of variance
  // σ² and held-out data distributed like the training data: signal power
  // goes from Σλ to Σλ/(λ+ε), noise power from Dσ² to σ²·Σ1/(λ+ε).
  let sumL = 0;
  let sumWhiteSignal = 0;
  let sumInv = 0;
  for (let j = 0; j < d; j++) {
    sumL += lambda[j];
    sumWhiteSignal += lambda[j] / (lambda[j] + o.eps);
    sumInv += 1 / (lambda[j] + o.eps);
  }
  const predictedBefore = db(sumL / (d * o.noise * o.noise));
  const predictedAfter = db(sumWhiteSignal / (o.noise * o.noise * sumInv));

  // Variance of held-out signal and noise along each training eigenvector, before and after.
  const proj = (data: ArrayLike<number>, centre: boolean) => {
    const v = new Float64Array(d);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++)
          s += (data[i * d + k] - (centre ? mu[k] : 0)) * vectors[j * d + k];
        v[j] += s * s;
      }
    }
    for (let j = 0; j < d; j++) v[j] /= m;
    return v;
  };
  const sigVar = proj(tv, true);
  const noiseVar = proj(nv, false);
  // Directions of pixels constant in the held-out images carry no image
  // variance at all (0 up to float rounding): those points are left out of a
  // log axis rather than drawn at an invented floor.
  const zero = 1e-10;
  const line = (name: string, v: Float64Array, gain: (j: number) => number) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let j = 0; j < d; j++) {
      const value = v[j] * gain(j);
      if (value > zero) {
        x.push(j + 1);
        y.push(sig(value));
      }
    }
    return { name, x, y };
  };
  const whiten = (j: number) => 1 / (lambda[j] + o.eps);
  const spectrum: Figure = {
    kind: 'line',
    id: `${o.name}-spectrum`,
    title: `${o.name}: variance along each principal direction, before and after whitening`,
    caption: `Held-out images (${m}) and added pixel noise of std ${o.noise}, projected on the training eigenvectors; whitening divides direction j by √(λⱼ + ${o.eps})`,
    x: { label: 'principal component (largest variance first)' },
    y: { label: 'variance', log: true },
    series: [
      line('images', sigVar, () => 1),
      line('noise', noiseVar, () => 1),
      line('images, whitened', sigVar, whiten),
      line('noise, whitened', noiseVar, whiten),
    ],
  };
  const panels: { name: string; rows: number; cols: number; values: number[] }[] = [];
  for (let i = 0; i < Math.min(o.show, m); i++) {
    const slice = (a: ArrayLike<number>) => Array.from({ length: d }, (_, k) => sig(a[i * d + k]));
    panels.push({ name: `#${i + 1}`, rows: o.side, cols: o.side, values: slice(tv) });
    panels.push({
      name: `#${i + 1} ZCA ε = ${o.eps}`,
      rows: o.side,
      cols: o.side,
      values: slice(small.images),
    });
    panels.push({
      name: `#${i + 1} ZCA ε = ${o.epsLarge}`,
      rows: o.side,
      cols: o.side,
      values: slice(large.images),
    });
  }
  const images: Figure = {
    kind: 'heatmap',
    id: `${o.name}-whitened`,
    title: `${o.name}: held-out images before and after ZCA whitening`,
    caption: `Each panel on its own gray scale. With ε = ${o.eps} the nearly constant directions dominate and the images drown; a larger ε = ${o.epsLarge} damps them and leaves the edges`,
    panels,
    scheme: 'gray',
  };
  const findings: Finding[] = [
    {
      statement: `Whitening ${o.name} amplifies pixel noise: the signal-to-noise ratio of held-out images falls`,
      measured: `SNR with pixel noise of std ${o.noise}: ${snrBefore.toFixed(1)} dB before, ${snrAfter.toFixed(1)} dB after ZCA whitening (ε = ${o.eps}; the training spectrum predicts ${predictedBefore.toFixed(1)} → ${predictedAfter.toFixed(1)} dB), ${snrLarge.toFixed(1)} dB with ε = ${o.epsLarge}`,
      held: snrAfter < snrBefore,
    },
  ];
  const smallest = Math.max(1, Math.floor(d / 4));
  const amp = (from: number) => {
    let s = 0;
    for (let j = from; j < d; j++) s += 1 / (lambda[j] + o.eps);
    return s / (d - from);
  };
  const table: Table = {
    title: `${o.name}: whitening and noise (ε = ${o.eps}, noise std ${o.noise})`,
    columns: ['quantity', 'value'],
    rows: [
      ['training images', train.shape[0]],
      ['held-out images', m],
      ['largest eigenvalue λ₁', sig(lambda[0])],
      [`mean eigenvalue of the smallest ${smallest} directions`, sig(meanOf(lambda, d - smallest))],
      [`mean noise gain 1/(λ+ε) in those directions`, sig(amp(d - smallest))],
      ['SNR before (dB)', sig(snrBefore)],
      ['SNR after ZCA (dB)', sig(snrAfter)],
      [`SNR after ZCA with ε = ${o.epsLarge} (dB)`, sig(snrLarge)],
      ['predicted SNR before / after (dB)', `${sig(predictedBefore)} / ${sig(predictedAfter)}`],
    ],
  };
  return { findings, tables: [table], figures: [images, spectrum], notes: [] };
}

/** ZCA-whitened held-out images and the signal and noise power after whitening. */
interface Whitened {
  images: Float32Array;
  /** [Σ‖W(x − μ)‖², Σ‖W·noise‖²] over the held-out images. */
  power: [number, number];
}

/** Fits ZCA with `eps` on train and whitens the clean and the noisy held-out images. */
async function zcaSnr(train: Tensor, test: Tensor, noisy: Tensor, eps: number): Promise<Whitened> {
  const zca = await new ZCAWhiten({ eps }).fitAsync(train);
  const white = zca.transform(test);
  const whiteNoisy = zca.transform(noisy);
  const [wv, wnv] = (await Promise.all([white.data(), whiteNoisy.data()])) as Float32Array[];
  white.dispose();
  whiteNoisy.dispose();
  // The whitening is linear: its noise is white(noisy) − white(clean).
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < wv.length; i++) {
    signal += wv[i] * wv[i];
    const w = wnv[i] - wv[i];
    noise += w * w;
  }
  return { images: wv, power: [signal, noise] };
}

function meanOf(v: ArrayLike<number>, from: number): number {
  let s = 0;
  for (let i = from; i < v.length; i++) s += v[i];
  return s / (v.length - from);
}
