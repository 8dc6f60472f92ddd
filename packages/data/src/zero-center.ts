/**
 * Mean subtraction (CS231n "Data preprocessing"): the mean image over the
 * training set, or one mean per colour channel.
 */
import { NerveError, type Tensor, mean, reshape, sub, tensor, tidy } from '@nerve/core';
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

/** Options of ZeroCenter. */
export interface ZeroCenterOptions {
  /** 'meanImage' (default): one mean per feature; 'perChannel': one per channel. */
  mode?: 'meanImage' | 'perChannel';
  /** Channel count for flat [N, D] data in 'perChannel' mode (axis 1 otherwise). */
  channels?: number;
}

/** Subtracts the training mean: x − μ. */
export class ZeroCenter extends Preprocessor {
  protected readonly name = 'ZeroCenter';
  /**
   * 'meanImage': subtracts the mean example; 'perChannel': one mean per channel of [N, C, …] data.
   */
  readonly mode: 'meanImage' | 'perChannel';
  /** C when mode is 'perChannel', else undefined. */
  readonly channels: number | undefined;
  private mu: Float32Array | null = null;

  constructor(opts: ZeroCenterOptions = {}) {
    super();
    const { mode = 'meanImage', channels } = opts;
    if (mode !== 'meanImage' && mode !== 'perChannel') {
      throw new NerveError('ZeroCenter', "mode 'meanImage' or 'perChannel'", String(mode));
    }
    this.mode = mode;
    this.channels = channels;
  }

  get fitted(): boolean {
    return this.mu !== null;
  }

  protected checkFit(op: string, x: Tensor): void {
    checkData(op, x, 1);
  }

  /** [μ] on x's backend. */
  protected statistics(op: string, x: Tensor): Tensor[] {
    if (this.mode === 'meanImage') return [mean(reshape(x, [x.shape[0], featuresOf(x)]), 0)];
    const { channels, inner } = channelLayout(op, x, this.channels);
    return [mean(reshape(x, [x.shape[0], channels, inner]), [0, 2])];
  }

  protected fitFrom(op: string, [mu]: Float32Array[]): this {
    checkFinite(op, mu);
    this.mu = mu;
    return this;
  }

  transform(x: Tensor): Tensor {
    const op = 'ZeroCenter.transform';
    this.requireFitted('transform');
    checkData(op, x, 0);
    const mu = this.mu!;
    return tidy(() => {
      const { view, statShape: shape } = fittedView(
        op,
        x,
        mu.length,
        this.mode !== 'meanImage',
        this.channels,
      );
      return reshape(sub(view, tensor(mu, { shape })), x.shape);
    });
  }

  stateDict(): PreprocessorState {
    this.requireFitted('stateDict');
    return { mode: this.mode, mean: this.mu!.slice() };
  }

  loadStateDict(state: PreprocessorState): void {
    const op = 'ZeroCenter.loadStateDict';
    stateMatches(op, state, 'mode', this.mode);
    const mu = stateArray(op, state, 'mean');
    if (this.mode === 'perChannel' && this.channels !== undefined && mu.length !== this.channels) {
      throw new NerveError(
        op,
        `state.mean of length ${this.channels} (channels)`,
        `length ${mu.length}`,
      );
    }
    this.mu = mu.slice();
  }
}
