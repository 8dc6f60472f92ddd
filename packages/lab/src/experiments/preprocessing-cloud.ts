/**
 * The lecture's 2-D preprocessing figure, measured: a correlated Gaussian
 * cloud away from the origin, then zero-centred, normalized, decorrelated
 * (PCA) and whitened (PCA and ZCA whitening), each fitted on the training
 * points only and applied to held-out points, with every covariance matrix.
 */
import { randn, tensor } from '@nerve/core';
import { PCA, PCAWhiten, type Preprocessor, Standardize, ZCAWhiten, ZeroCenter } from '@nerve/data';
import type { Figure, Finding, Table } from '@nerve/plot';
import { columnMeans, covariance, maxAbsDiff, sig } from './preprocessing-stats.js';

/** The cloud's true mean and covariance (correlation 2.4/√(4·2) ≈ 0.85). */
const MEAN = [4, 2];
const COV = [4, 2.4, 2.4, 2];

interface Stage {
  name: string;
  make: () => Preprocessor | null;
}

const STAGES: Stage[] = [
  { name: 'original', make: () => null },
  { name: 'zero-centred', make: () => new ZeroCenter() },
  { name: 'normalized', make: () => new Standardize() },
  { name: 'decorrelated (PCA)', make: () => new PCA({ components: 2 }) },
  { name: 'whitened (PCA)', make: () => new PCAWhiten({ components: 2 }) },
  { name: 'whitened (ZCA)', make: () => new ZCAWhiten() },
];

/** What the cloud part returns. */
export interface CloudResult {
  findings: Finding[];
  tables: Table[];
  figures: Figure[];
}

/** Runs the 2-D part with `points` samples (80% train, 20% held out). */
export async function cloudPart(points: number, seed: number): Promise<CloudResult> {
  const nTrain = Math.round(points * 0.8);
  const nTest = points - nTrain;
  // x = μ + L·z with L the Cholesky factor of COV.
  const l00 = Math.sqrt(COV[0]);
  const l10 = COV[2] / l00;
  const l11 = Math.sqrt(COV[3] - l10 * l10);
  const z = randn([points, 2], { seed });
  const zv = await z.data();
  z.dispose();
  const xv = new Float32Array(points * 2);
  for (let i = 0; i < points; i++) {
    xv[2 * i] = MEAN[0] + l00 * zv[2 * i];
    xv[2 * i + 1] = MEAN[1] + l10 * zv[2 * i] + l11 * zv[2 * i + 1];
  }
  const train = tensor(xv.subarray(0, 2 * nTrain), { shape: [nTrain, 2] });
  const test = tensor(xv.subarray(2 * nTrain), { shape: [nTest, 2] });
  const out: { name: string; train: Float32Array; test: Float32Array }[] = [];
  try {
    for (const stage of STAGES) {
      const p = stage.make();
      if (p !== null) await p.fitAsync(train);
      const [a, b] =
        p === null ? [train.clone(), test.clone()] : [p.transform(train), p.transform(test)];
      out.push({
        name: stage.name,
        train: (await a.data()) as Float32Array,
        test: (await b.data()) as Float32Array,
      });
      a.dispose();
      b.dispose();
    }
  } finally {
    train.dispose();
    test.dispose();
  }
  const cov = out.map((s) => covariance(s.train, nTrain, 2));
  const covTest = out.map((s) => covariance(s.test, nTest, 2));
  const means = out.map((s) => columnMeans(s.train, nTrain, 2));
  const [orig, centred, normalized, decorrelated, pcaWhite, zcaWhite] = cov;
  const findings: Finding[] = [];
  const fmtCov = (c: Float64Array) =>
    `[[${sig(c[0])}, ${sig(c[1])}], [${sig(c[2])}, ${sig(c[3])}]]`;

  // float32 sums of a few hundred values of size ~4: rounding stays far below 1e-4.
  const tol = 1e-4;
  const centredMean = Math.max(Math.abs(means[1][0]), Math.abs(means[1][1]));
  findings.push({
    statement: 'Zero-centring moves the mean to the origin and leaves the covariance as it was',
    measured: `mean (${sig(means[0][0])}, ${sig(means[0][1])}) → |mean| ≤ ${centredMean.toExponential(1)}; covariance ${fmtCov(orig)} before and after (max change ${maxAbsDiff(orig, centred).toExponential(1)})`,
    held: centredMean <= tol && maxAbsDiff(orig, centred) <= tol * 4,
  });
  // Standardize divides by the population σ (divisor N), so the sample
  // variance (divisor N − 1) of its output is N/(N − 1); the correlation stays.
  const unit = nTrain / (nTrain - 1);
  const rho = orig[1] / Math.sqrt(orig[0] * orig[3]);
  findings.push({
    statement: 'Normalizing gives each dimension unit variance but keeps the correlation',
    measured: `variances ${sig(normalized[0], 4)}, ${sig(normalized[3], 4)} (N/(N−1) = ${sig(unit, 4)}), covariance ${sig(normalized[1])} against the original correlation ${sig(rho)}`,
    held:
      Math.abs(normalized[0] - unit) <= tol &&
      Math.abs(normalized[3] - unit) <= tol &&
      Math.abs(normalized[1] / unit - rho) <= tol,
  });
  // Eigenvalues of the 2×2 training covariance, in closed form.
  const tr = orig[0] + orig[3];
  const det = orig[0] * orig[3] - orig[1] * orig[2];
  const disc = Math.sqrt((tr * tr) / 4 - det);
  const lambda = [tr / 2 + disc, tr / 2 - disc];
  findings.push({
    statement: 'PCA decorrelates: the covariance becomes diagonal, holding the eigenvalues',
    measured: `covariance ${fmtCov(decorrelated)}; eigenvalues of the original ${sig(lambda[0])}, ${sig(lambda[1])}`,
    held:
      Math.abs(decorrelated[1]) <= tol * lambda[0] &&
      Math.abs(decorrelated[0] - lambda[0]) <= tol * lambda[0] &&
      Math.abs(decorrelated[3] - lambda[1]) <= tol * lambda[0],
  });
  // Whitening divides by √(λ + 1e-5): covariance diag(λ/(λ+1e-5)), 1e-5/λ from I.
  const eye = [1, 0, 0, 1];
  findings.push({
    statement: 'Whitening (PCA or ZCA) gives the training data the identity covariance',
    measured: `PCA-whitened ${fmtCov(pcaWhite)}, ZCA-whitened ${fmtCov(zcaWhite)} (max |C − I| ${Math.max(maxAbsDiff(pcaWhite, eye), maxAbsDiff(zcaWhite, eye)).toExponential(1)})`,
    held: maxAbsDiff(pcaWhite, eye) <= 1e-3 && maxAbsDiff(zcaWhite, eye) <= 1e-3,
  });
  // Held-out points get the training statistics, so their covariance is I
  // only up to sampling error: about √(2/n) per entry for n points of white
  // data, from both the test estimate and the fitted one; 4 of those bound it.
  const bound = 4 * Math.sqrt(2 / nTest + 2 / nTrain);
  const testErr = maxAbsDiff(covTest[4], eye);
  findings.push({
    statement:
      'Fitted on the training points, whitening carries over to held-out points up to sampling error',
    measured: `held-out (${nTest} points) PCA-whitened covariance ${fmtCov(covTest[4])}: max |C − I| ${sig(testErr)} (bound 4·√(2/n_test + 2/n_train) = ${sig(bound)})`,
    held: testErr <= bound,
  });

  const table: Table = {
    title: `2-D cloud (${nTrain} training points): mean and covariance after each step`,
    columns: ['step', 'mean x', 'mean y', 'var x', 'cov xy', 'var y', 'held-out cov xy'],
    rows: out.map((s, i) => [
      s.name,
      sig(means[i][0]),
      sig(means[i][1]),
      sig(cov[i][0]),
      sig(cov[i][1]),
      sig(cov[i][3]),
      sig(covTest[i][1]),
    ]),
  };
  const figures: Figure[] = [
    {
      kind: 'scatter',
      id: 'cloud',
      title: 'A correlated 2-D cloud, step by step',
      caption:
        'Training points; each transform is fitted on them (ZeroCenter, Standardize, PCA, PCAWhiten, ZCAWhiten from @nerve/data)',
      x: { label: 'x₁' },
      y: { label: 'x₂' },
      groups: out.map((s) => ({
        name: s.name,
        x: Array.from({ length: nTrain }, (_, i) => sig(s.train[2 * i], 4)),
        y: Array.from({ length: nTrain }, (_, i) => sig(s.train[2 * i + 1], 4)),
      })),
      facet: true,
      square: true,
    },
    {
      kind: 'heatmap',
      id: 'cloud-covariance',
      title: 'The covariance matrix after each step',
      caption: 'Sample covariance (divisor N − 1) of the training points',
      panels: out.map((s, i) => ({
        name: s.name,
        rows: 2,
        cols: 2,
        values: Array.from(cov[i], (v) => sig(v, 4)),
      })),
      scheme: 'diverging',
    },
  ];
  return { findings, tables: [table], figures };
}
