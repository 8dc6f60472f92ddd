/**
 * Per-channel statistics see the data as [N, C, inner]: channel axis 1 of
 * [N, C, H, W] (or any [N, C, ...]), or, for flat rows [N, D] with a given
 * channel count, D = C·inner in channel-major order — the layout
 * `flatten(x, 1)` gives for NCHW images.
 */
import { NerveError, type Tensor, reshape } from '@nerve/core';
import { featuresOf } from './preprocess.js';

/** Channels and values per channel of one sample. */
export interface ChannelLayout {
  channels: number;
  inner: number;
}

/** The layout of x for per-channel statistics, validated. */
export function channelLayout(op: string, x: Tensor, channels?: number): ChannelLayout {
  if (channels !== undefined && (!Number.isInteger(channels) || channels < 1)) {
    throw new NerveError(op, 'channels a positive integer', String(channels));
  }
  if (x.rank === 2) {
    if (channels === undefined) {
      throw NerveError.raw(
        op,
        `flat data [${x.shape.join(',')}] needs the 'channels' option for mode 'perChannel'`,
      );
    }
    if (x.shape[1] % channels !== 0) {
      throw NerveError.raw(op, `${x.shape[1]} features do not divide into ${channels} channels`);
    }
    return { channels, inner: x.shape[1] / channels };
  }
  const c = x.shape[1];
  if (channels !== undefined && channels !== c) {
    throw new NerveError(op, `${channels} channels on axis 1`, `shape [${x.shape.join(',')}]`);
  }
  return { channels: c, inner: x.shape.slice(2).reduce((a, b) => a * b, 1) };
}

/**
 * x seen the way fitted statistics of `length` values broadcast against it:
 * [N, features] with statistics of shape [features] (`perChannel` false), or
 * [N, C, inner] with statistics of shape [C, 1]. Throws, naming `op`, when x
 * does not have the fitted number of features or channels.
 */
export function fittedView(
  op: string,
  x: Tensor,
  length: number,
  perChannel: boolean,
  channels?: number,
): { view: Tensor; statShape: number[] } {
  if (!perChannel) {
    const features = featuresOf(x);
    if (features !== length) {
      throw new NerveError(
        op,
        `${length} features per sample (as fitted)`,
        `shape [${x.shape.join(',')}]`,
      );
    }
    return { view: reshape(x, [x.shape[0], features]), statShape: [length] };
  }
  const layout = channelLayout(op, x, channels);
  if (layout.channels !== length) {
    throw new NerveError(op, `${length} channels (as fitted)`, `${layout.channels}`);
  }
  return { view: reshape(x, [x.shape[0], layout.channels, layout.inner]), statShape: [length, 1] };
}
