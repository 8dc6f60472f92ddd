/**
 * Per-channel statistics see the data as [N, C, inner]: channel axis 1 of
 * [N, C, H, W] (or any [N, C, ...]), or, for flat rows [N, D] with a given
 * channel count, D = C·inner in channel-major order — the layout
 * `flatten(x, 1)` gives for NCHW images.
 */
import { NerveError, type Tensor } from '@nerve/core';

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
