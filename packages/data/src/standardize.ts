/**
 * Standardization to zero mean and unit variance (scikit-learn's
 * StandardScaler): per feature, or per channel.
 */
import {
  NerveError,
  type Tensor,
  div,
  mean,
  reshape,
  sub,
  tensor,
  tidy,
  variance,
} from '@nerve/core';
import { channelLayout, fittedView } from './channels.js';
import {
  Preprocessor,
  type PreprocessorState,
  checkData,
  checkFinite,
  featuresOf,
  stateArray,
  stateMatches,
} from './preprocess.js';

/** Options of Standardize. */
export interface StandardizeOptions {
  /** 'perFeature' (default): statistics per feature; 'perChannel': per channel. */
  mode?: 'perFeature' | 'perChannel';
  /** Channel count for flat [N, D] data in 'perChannel' mode (axis 1 otherwise). */
  channels?: number;
  /** A standard deviation below eps counts as constant: scale 1 (default 1e-8). */
  eps?: number;
}

/**
 * (x − μ) / σ with the population σ (divisor N, as scikit-learn). A feature
 * that is constant in training (σ < eps) is only centred, like
 * StandardScaler, so a test value there is not blown up by 1/eps.
 */
export class Standardize extends Preprocessor {
  protected readonly name = 'Standardize';
  /** 'perFeature': one mean and std per feature; 'perChannel': per channel of [N, C, …] data. */
  readonly mode: 'perFeature' | 'perChannel';
  /** C when mode is 'perChannel', else undefined. */
  readonly channels: number | undefined;
  /** Added to the standard deviation before dividing. */
  readonly eps: number;
  private mu: Float32Array | null = null;
  private scale: Float32Array | null = null;

  constructor(opts: StandardizeOptions = {}) {
    super();
    const { mode = 'perFeature', channels, eps = 1e-8 } = opts;
    if (mode !== 'perFeature' && mode !== 'perChannel') {
      throw new NerveError('Standardize', "mode 'perFeature' or 'perChannel'", String(mode));
    }
    if (typeof eps !== 'number' || !(eps >= 0)) {
      throw new NerveError('Standardize', 'eps ≥ 0', String(eps));
    }
    this.mode = mode;
    this.channels = channels;
    this.eps = eps;
  }

  get fitted(): boolean {
    return this.mu !== null;
  }

  protected checkFit(op: string, x: Tensor): void {
    checkData(op, x, 1);
  }

  /** [μ, σ²] on x's backend. */
  protected statistics(op: string, x: Tensor): Tensor[] {
    let view: Tensor;
    let axes: number[];
    if (this.mode === 'perFeature') {
      view = reshape(x, [x.shape[0], featuresOf(x)]);
      axes = [0];
    } else {
      const { channels, inner } = channelLayout(op, x, this.channels);
      view = reshape(x, [x.shape[0], channels, inner]);
      axes = [0, 2];
    }
    return [mean(view, axes), variance(view, axes, { correction: 0 })];
  }

  protected fitFrom(op: string, [mu, v]: Float32Array[]): this {
    checkFinite(op, mu);
    checkFinite(op, v);
    const scale = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const s = Math.sqrt(v[i]);
      scale[i] = s < this.eps ? 1 : s;
    }
    this.mu = mu;
    this.scale = scale;
    return this;
  }

  transform(x: Tensor): Tensor {
    const op = 'Standardize.transform';
    this.requireFitted('transform');
    checkData(op, x, 0);
    const mu = this.mu!;
    const scale = this.scale!;
    return tidy(() => {
      const { view, statShape: shape } = fittedView(
        op,
        x,
        mu.length,
        this.mode !== 'perFeature',
        this.channels,
      );
      return reshape(div(sub(view, tensor(mu, { shape })), tensor(scale, { shape })), x.shape);
    });
  }

  /** { mode, mean, scale }: scale is the divisor, σ or 1 for constant features. */
  stateDict(): PreprocessorState {
    this.requireFitted('stateDict');
    return { mode: this.mode, mean: this.mu!.slice(), scale: this.scale!.slice() };
  }

  loadStateDict(state: PreprocessorState): void {
    const op = 'Standardize.loadStateDict';
    stateMatches(op, state, 'mode', this.mode);
    const mu = stateArray(op, state, 'mean');
    const scale = stateArray(op, state, 'scale', mu.length);
    if (this.mode === 'perChannel' && this.channels !== undefined && mu.length !== this.channels) {
      throw new NerveError(
        op,
        `state.mean of length ${this.channels} (channels)`,
        `length ${mu.length}`,
      );
    }
    for (let i = 0; i < scale.length; i++) {
      if (!(scale[i] > 0) || !Number.isFinite(scale[i])) {
        throw new NerveError(op, 'state.scale positive and finite', `${scale[i]} at index ${i}`);
      }
    }
    this.mu = mu.slice();
    this.scale = scale.slice();
  }
}
