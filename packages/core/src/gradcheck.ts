/**
 * Gradient checking by central finite differences.
 *
 * The function runs on the backend in float32; the objective, the
 * perturbations and the differences are computed in float64 on the host.
 * The objective is L = Σ r ⊙ f(x) for a fixed random r, so every output
 * element contributes and one backward pass gives the whole analytic gradient.
 */
import { noGrad, tidy } from './engine.js';
import { NerveError } from './errors.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';
import { mul } from './ops/binary.js';
import { sum } from './ops/reduce.js';
import { wrap } from './ops/util.js';

/** Options of `gradCheck`. */
export interface GradCheckOptions {
  /** Step in input units (default 1e-2: float32 loses digits below that). */
  eps?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Seed of the random projection of the output. */
  seed?: number;
}

/** What `gradCheck` found. */
export interface GradCheckResult {
  /** Whether every gradient element is within `atol + rtol·|numeric|`. */
  ok: boolean;
  /** The largest |analytic − numeric| over all inputs. */
  maxAbsError: number;
  /** Per input: analytic and numeric gradients (null for non-float inputs). */
  analytic: (Float64Array | null)[];
  /** Per input: the central-difference gradient (null for non-float inputs). */
  numeric: (Float64Array | null)[];
  /** Where the largest violation of the tolerance is, for messages. */
  worst: {
    /** Which input. */
    input: number;
    /** Flat element index within that input. */
    index: number;
    /** The autograd gradient there. */
    analytic: number;
    /** The central-difference gradient there. */
    numeric: number;
  } | null;
}

function upload(like: Tensor, values: Float32Array): Tensor {
  return wrap(like.backend, like.backend.upload(values, 'float32'), like.shape, 'float32');
}

/**
 * Compares the autograd gradient of `fn` at `inputs` with central finite
 * differences. Only float32 inputs are differentiated; others are passed as given.
 */
export async function gradCheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 1e-2;
  if (!(eps > 0)) throw new NerveError('gradCheck', 'eps > 0', String(eps));
  for (const t of inputs) {
    if (!(t instanceof Tensor)) throw new NerveError('gradCheck', 'Tensor inputs', String(t));
    t.assertAlive('gradCheck');
  }
  const hosts = await Promise.all(inputs.map(async (t) => Float32Array.from(await t.data())));

  // The projection r, fixed by the seed, drawn once the output shape is known.
  const probe = noGrad(() => tidy(() => fn(...inputs)));
  const outSize = probe.size;
  const outShape = probe.shape;
  const backend = probe.backend;
  probe.dispose();
  const r = new Generator(opts.seed ?? 1234).normal(outSize);
  const objective = async (xs: Tensor[]): Promise<number> => {
    const out = noGrad(() => tidy(() => fn(...xs)));
    const v = await out.data();
    out.dispose();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += r[i] * v[i];
    return s;
  };

  // Analytic gradient through autograd on fresh leaves.
  const leaves = inputs.map((t, i) => {
    if (t.dtype !== 'float32') return t;
    const leaf = upload(t, hosts[i]);
    leaf.requiresGrad = true;
    return leaf;
  });
  const rT = wrap(backend, backend.upload(Float32Array.from(r), 'float32'), outShape, 'float32');
  tidy(() => {
    const loss = sum(mul(fn(...leaves), rT));
    if (loss.requiresGrad) loss.backward();
  });
  rT.dispose();
  const analytic = await Promise.all(
    leaves.map(async (l, i) => {
      if (inputs[i].dtype !== 'float32') return null;
      return l.grad ? Float64Array.from(await l.grad.data()) : new Float64Array(l.size);
    }),
  );
  leaves.forEach((l, i) => {
    if (l !== inputs[i]) l.dispose();
  });

  const numeric: (Float64Array | null)[] = [];
  let maxAbsError = 0;
  let worst: GradCheckResult['worst'] = null;
  let worstExcess = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].dtype !== 'float32') {
      numeric.push(null);
      continue;
    }
    const base = hosts[i];
    const g = new Float64Array(base.length);
    for (let j = 0; j < base.length; j++) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[j] = base[j] + eps;
      minus[j] = base[j] - eps;
      // Divide by the step actually taken after rounding to float32.
      const h = plus[j] - minus[j];
      const evalAt = async (vals: Float32Array) => {
        const xs = inputs.map((t, k) => (k === i ? upload(t, vals) : t));
        try {
          return await objective(xs);
        } finally {
          xs[i].dispose();
        }
      };
      g[j] = ((await evalAt(plus)) - (await evalAt(minus))) / h;
      const a = analytic[i]![j];
      const err = Math.abs(a - g[j]);
      maxAbsError = Math.max(maxAbsError, err);
      const excess = err - (atol + rtol * Math.abs(g[j]));
      if (excess > worstExcess || (Number.isNaN(err) && worst === null)) {
        worstExcess = Number.isNaN(err) ? Number.POSITIVE_INFINITY : excess;
        worst = { input: i, index: j, analytic: a, numeric: g[j] };
      }
    }
    numeric.push(g);
  }
  return { ok: worst === null, maxAbsError, analytic, numeric, worst };
}
