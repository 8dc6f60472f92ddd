/**
 * Initializers: functions from a shape (and optional seed or generator) to a
 * new float32 tensor. Scales follow PyTorch's torch.nn.init.
 */
import {
  NerveError,
  type Tensor,
  full,
  ones as onesT,
  rand,
  randn,
  tensor,
  zeros as zerosT,
} from '@nerve/core';
import { type Nonlinearity, calculateGain, computeFans } from './fans.js';
import { type InitOptions, hostUniform } from './host-random.js';
import { normalCdf, normalIcdf } from './special.js';

/** Makes a tensor of `shape`; random ones draw from `seed`, `generator` or the global generator. */
export type Initializer = (shape: readonly number[], opts?: InitOptions) => Tensor;

function finite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new NerveError(op, `a finite number for ${name}`, String(v));
  }
  return v;
}

function nonNegative(op: string, name: string, v: unknown): number {
  const x = finite(op, name, v);
  if (x < 0) throw new NerveError(op, `${name} ≥ 0`, String(x));
  return x;
}

/** All zeros. */
export const zeros: Initializer = (shape) => zerosT(shape);

/** All ones. */
export const ones: Initializer = (shape) => onesT(shape);

/** Every element equal to `value`. */
export function constant(value: number): Initializer {
  if (typeof value !== 'number') throw new NerveError('constant', 'a number', String(value));
  return (shape) => full(shape, value);
}

/** U(low, high). */
export function uniform(low = 0, high = 1): Initializer {
  finite('uniform', 'low', low);
  finite('uniform', 'high', high);
  if (low > high) throw new NerveError('uniform', 'low ≤ high', `low ${low}, high ${high}`);
  return (shape, opts = {}) => rand(shape, { ...pick(opts), low, high });
}

/** N(mean, std²). */
export function normal(mean = 0, std = 1): Initializer {
  finite('normal', 'mean', mean);
  nonNegative('normal', 'std', std);
  return (shape, opts = {}) => randn(shape, { ...pick(opts), mean, std });
}

/** N(0, std²) with a small std (0.01 by default): the classic "small random numbers". */
export function smallRandom(std = 0.01): Initializer {
  nonNegative('smallRandom', 'std', std);
  return normal(0, std);
}

/**
 * N(mean, std²) conditioned on [a, b] (absolute bounds, as PyTorch's
 * `trunc_normal_`), by inverse-CDF sampling in float64 on the host: uniforms
 * in [Φ(α), Φ(β)] mapped through Φ⁻¹, α = (a − mean)/std, β = (b − mean)/std.
 */
export function truncatedNormal(mean = 0, std = 1, a = -2, b = 2): Initializer {
  const op = 'truncatedNormal';
  finite(op, 'mean', mean);
  nonNegative(op, 'std', std);
  finite(op, 'a', a);
  finite(op, 'b', b);
  if (!(a < b)) throw new NerveError(op, 'a < b', `a ${a}, b ${b}`);
  return (shape, opts = {}) => {
    const n = shape.reduce((s, d) => s * d, 1);
    const u = hostUniform(op, n, opts);
    const out = new Float32Array(n);
    if (std === 0) {
      out.fill(Math.min(b, Math.max(a, mean)));
    } else {
      // Sample the lower tail when the interval lies above the mean: Φ keeps its precision there.
      const flip = a > mean;
      const lo = flip ? (mean - b) / std : (a - mean) / std;
      const hi = flip ? (mean - a) / std : (b - mean) / std;
      const pl = normalCdf(lo);
      const pu = normalCdf(hi);
      for (let i = 0; i < n; i++) {
        const z = Math.min(hi, Math.max(lo, normalIcdf(pl + (pu - pl) * u[i])));
        const v = mean + std * (flip ? -z : z);
        out[i] = Math.min(b, Math.max(a, v));
      }
      // Rounding to float32 may step just outside [a, b]; pull those values back in.
      for (let i = 0; i < n; i++) {
        if (out[i] < a) out[i] = nextUp(a);
        else if (out[i] > b) out[i] = nextDown(b);
      }
    }
    return tensor(out, { shape: [...shape] });
  };
}

function nextUp(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : stepF32(f, 1);
}

function nextDown(x: number): number {
  const f = Math.fround(x);
  return f <= x ? f : stepF32(f, -1);
}

function stepF32(f: number, dir: 1 | -1): number {
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  if (f === 0) return dir * 1e-45;
  bits[0] += (f > 0 ? 1 : -1) * dir;
  return buf[0];
}

function pick(opts: InitOptions): InitOptions {
  const o: InitOptions = {};
  if (opts.seed !== undefined) o.seed = opts.seed;
  if (opts.generator !== undefined) o.generator = opts.generator;
  return o;
}

/** Fans of a weight shape; `empty` when it has no elements (init is then a no-op, as in PyTorch). */
function fans(
  op: string,
  shape: readonly number[],
): { fanIn: number; fanOut: number; empty: boolean } {
  try {
    const f = computeFans(shape);
    return { ...f, empty: f.fanIn === 0 || f.fanOut === 0 };
  } catch {
    throw NerveError.raw(
      op,
      `needs a weight shape with at least 2 dimensions, received [${shape.join(',')}]`,
    );
  }
}

/**
 * Glorot & Bengio 2010 ("Understanding the difficulty of training deep
 * feedforward neural networks"): U(−r, r), r = gain·√(6/(fanIn + fanOut)).
 */
export function xavierUniform(gain = 1): Initializer {
  finite('xavierUniform', 'gain', gain);
  return (shape, opts = {}) => {
    const { fanIn, fanOut, empty } = fans('xavierUniform', shape);
    if (empty) return zerosT(shape);
    const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
    return rand(shape, { ...pick(opts), low: -bound, high: bound });
  };
}

/** Glorot & Bengio 2010: N(0, σ²), σ = gain·√(2/(fanIn + fanOut)). */
export function xavierNormal(gain = 1): Initializer {
  finite('xavierNormal', 'gain', gain);
  return (shape, opts = {}) => {
    const { fanIn, fanOut, empty } = fans('xavierNormal', shape);
    if (empty) return zerosT(shape);
    const std = Math.abs(gain) * Math.sqrt(2 / (fanIn + fanOut));
    return randn(shape, { ...pick(opts), std });
  };
}

/** Options of the He (Kaiming) initializers, PyTorch's defaults. */
export interface HeOptions {
  /** Negative slope of the leaky ReLU that follows (0 by default). */
  a?: number;
  /** Preserve the forward variance ('fanIn', default) or the backward one ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  /** 'leakyRelu' by default (with a = 0 that is ReLU's gain √2). */
  nonlinearity?: Nonlinearity;
}

/** σ = gain/√fan; 0 for an empty shape (whose init is a no-op). */
function heStd(op: string, shape: readonly number[], o: HeOptions): number {
  const mode = o.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new NerveError(op, "mode 'fanIn' or 'fanOut'", JSON.stringify(mode));
  }
  const f = fans(op, shape);
  if (f.empty) return 0;
  const fan = mode === 'fanIn' ? f.fanIn : f.fanOut;
  const gain = calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * He et al. 2015 ("Delving deep into rectifiers"): U(−√3·σ, √3·σ) with
 * σ = gain/√fan. PyTorch's default layer init is this with a = √5.
 */
export function heUniform(opts: HeOptions = {}): Initializer {
  return (shape, o = {}) => {
    const bound = Math.sqrt(3) * heStd('heUniform', shape, opts);
    return rand(shape, { ...pick(o), low: -bound, high: bound });
  };
}

/** He et al. 2015: N(0, σ²), σ = gain/√fan (gain √2 for ReLU). */
export function heNormal(opts: HeOptions = {}): Initializer {
  return (shape, o = {}) => randn(shape, { ...pick(o), std: heStd('heNormal', shape, opts) });
}

/**
 * LeCun et al. 1998 ("Efficient BackProp"): N(0, 1/fanIn), the scale SELU
 * networks expect. (Keras' lecun_normal truncates at 2σ; this one does not.)
 */
export function lecunNormal(): Initializer {
  return (shape, o = {}) => {
    const { fanIn, empty } = fans('lecunNormal', shape);
    if (empty) return zerosT(shape);
    return randn(shape, { ...pick(o), std: 1 / Math.sqrt(fanIn) });
  };
}
