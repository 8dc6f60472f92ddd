/**
 * Grouped conv2d and its two gradients (NCHW, p.groups ≥ 1): group g maps
 * input channels [g·Cg, (g+1)·Cg) to output channels [g·Og, (g+1)·Og) with
 * weight rows [g·Og, (g+1)·Og) of w [O, Cg, KH, KW].
 *
 * Depthwise convolutions (Cg = 1, any channel multiplier Og) run direct loops
 * over each image plane: there each output sums only KH·KW products, so
 * im2col would copy KH·KW times the input to feed a GEMM with k = KH·KW, and
 * the work is bound by memory traffic, not multiply-adds. Other groupings run
 * im2col + blocked GEMM per group, as conv.ts does for one group.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { isPointwiseConv } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import type { ConvScratch } from './conv.js';
import { gemm } from './gemm-blocked.js';
import { col2im, im2col } from './im2col.js';

interface GroupDims {
  groups: number;
  /** Input channels per group. */
  cg: number;
  /** Output channels per group. */
  og: number;
  kk: number;
  hw: number;
  ohw: number;
  /** The geometry of one group seen as an ungrouped convolution. */
  one: Conv2dParams;
}

function groupDims(p: Conv2dParams): GroupDims {
  const groups = p.groups ?? 1;
  const cg = p.inChannels / groups;
  const og = p.outChannels / groups;
  return {
    groups,
    cg,
    og,
    kk: p.kernelHeight * p.kernelWidth,
    hw: p.inHeight * p.inWidth,
    ohw: p.outHeight * p.outWidth,
    one: { ...p, inChannels: cg, outChannels: og, groups: 1 },
  };
}

/** x [N,C,H,W], w [O,C/groups,KH,KW] → y [N,O,OH,OW]. */
export function groupedConv2d(
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const d = groupDims(p);
  const y = allocF32(p.batch * p.outChannels * d.ohw, true);
  if (y.length === 0) return y;
  if (d.cg === 1) {
    depthwiseForward(x, w, p, d, y);
    return y;
  }
  const ckk = d.cg * d.kk;
  const direct = isPointwiseConv(p);
  const col = direct ? x : s.columns(ckk * d.ohw);
  for (let n = 0; n < p.batch; n++) {
    for (let g = 0; g < d.groups; g++) {
      const xOff = (n * p.inChannels + g * d.cg) * d.hw;
      if (!direct) im2col(x, xOff, d.one, col);
      gemm(
        {
          m: d.og,
          n: d.ohw,
          k: ckk,
          a: w,
          aOff: g * d.og * ckk,
          transA: false,
          b: col,
          bOff: direct ? xOff : 0,
          transB: false,
          c: y,
          cOff: (n * p.outChannels + g * d.og) * d.ohw,
          accumulate: false,
        },
        s.gemm,
      );
    }
  }
  return y;
}

/** dy [N,O,OH,OW], w [O,C/groups,KH,KW] → dx [N,C,H,W]. */
export function groupedConv2dBackwardInput(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const d = groupDims(p);
  const dx = allocF32(p.batch * p.inChannels * d.hw);
  if (dx.length === 0) return dx;
  if (d.cg === 1) {
    depthwiseBackwardInput(dy, w, p, d, dx);
    return dx;
  }
  const ckk = d.cg * d.kk;
  const direct = isPointwiseConv(p);
  const col = direct ? dx : s.columns(ckk * d.ohw);
  for (let n = 0; n < p.batch; n++) {
    for (let g = 0; g < d.groups; g++) {
      const dxOff = (n * p.inChannels + g * d.cg) * d.hw;
      // The group's weight block is [Og, CgKK]; read transposed it is the [CgKK, Og] factor.
      gemm(
        {
          m: ckk,
          n: d.ohw,
          k: d.og,
          a: w,
          aOff: g * d.og * ckk,
          transA: true,
          b: dy,
          bOff: (n * p.outChannels + g * d.og) * d.ohw,
          transB: false,
          c: col,
          cOff: direct ? dxOff : 0,
          accumulate: false,
        },
        s.gemm,
      );
      if (!direct) col2im(col, d.one, dx, dxOff);
    }
  }
  return dx;
}

/** x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C/groups,KH,KW]. */
export function groupedConv2dBackwardFilter(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const d = groupDims(p);
  const ckk = d.cg * d.kk;
  const dw = allocF32(p.outChannels * ckk);
  if (dw.length === 0) return dw;
  if (d.cg === 1) {
    depthwiseBackwardFilter(x, dy, p, d, dw);
    return dw;
  }
  const direct = isPointwiseConv(p);
  const col = direct ? x : s.columns(ckk * d.ohw);
  for (let n = 0; n < p.batch; n++) {
    for (let g = 0; g < d.groups; g++) {
      const xOff = (n * p.inChannels + g * d.cg) * d.hw;
      if (!direct) im2col(x, xOff, d.one, col);
      // col is stored [CgKK, OHW]; read transposed it is the [OHW, CgKK] factor.
      gemm(
        {
          m: d.og,
          n: ckk,
          k: d.ohw,
          a: dy,
          aOff: (n * p.outChannels + g * d.og) * d.ohw,
          transA: false,
          b: col,
          bOff: direct ? xOff : 0,
          transB: true,
          c: dw,
          cOff: g * d.og * ckk,
          accumulate: n > 0,
        },
        s.gemm,
      );
    }
  }
  return dw;
}

// ---- depthwise (one input channel per group) --------------------------------

/** First output position o with o·stride + shift ≥ 0 (at most outSize). */
function validLo(shift: number, stride: number, outSize: number): number {
  return Math.min(outSize, shift >= 0 ? 0 : Math.ceil(-shift / stride));
}

/** One past the last output position o with o·stride + shift < size (at least lo). */
function validHi(shift: number, stride: number, size: number, outSize: number, lo: number): number {
  return Math.max(lo, Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1));
}

/**
 * Per kernel column kw, the output columns [lo[kw], hi[kw]) whose tap lands
 * inside the input row; and the columns [inLo, inHi) where every tap does.
 */
function columnRanges(p: Conv2dParams) {
  const { kernelWidth: KW, inWidth: W, outWidth: OW, strideW, padW, dilationW } = p;
  const lo = new Int32Array(KW);
  const hi = new Int32Array(KW);
  let inLo = 0;
  let inHi = OW;
  for (let kw = 0; kw < KW; kw++) {
    const shift = kw * dilationW - padW;
    lo[kw] = validLo(shift, strideW, OW);
    hi[kw] = validHi(shift, strideW, W, OW, lo[kw]);
    inLo = Math.max(inLo, lo[kw]);
    inHi = Math.min(inHi, hi[kw]);
  }
  return { lo, hi, inLo, inHi: Math.max(inLo, inHi) };
}

/**
 * y[o] = w[o] ⋆ x[o / M] for every image and output channel o (M = Og, the
 * channel multiplier). Each output row is computed in one pass: interior
 * columns (every tap inside the row) without bounds tests, with the 3-wide
 * kernel rows unrolled; border columns and rows with taps above or below
 * the image test each tap. Sums are float64, rounded once on store.
 */
function depthwiseForward(
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  d: GroupDims,
  y: Float32Array,
): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const { kernelHeight: KH, kernelWidth: KW, strideH, strideW, padH, padW } = p;
  const { dilationH, dilationW } = p;
  const { lo, hi, inLo, inHi } = columnRanges(p);
  const rowOff = new Int32Array(KH);
  const rowTap = new Int32Array(KH);
  const three = KW === 3;
  for (let n = 0; n < p.batch; n++) {
    for (let o = 0; o < p.outChannels; o++) {
      const xc = (n * p.inChannels + Math.floor(o / d.og)) * d.hw;
      const wo = o * d.kk;
      const yc = (n * p.outChannels + o) * d.ohw;
      for (let oh = 0; oh < OH; oh++) {
        // The kernel rows that land inside the image, and where their input rows start.
        let rows = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * strideH + kh * dilationH - padH;
          if (ih < 0 || ih >= H) continue;
          rowOff[rows] = xc + ih * W - padW;
          rowTap[rows++] = wo + kh * KW;
        }
        const yr = yc + oh * OW;
        for (let ow = 0; ow < OW; ow++) {
          if (ow === inLo && three) {
            // Interior: taps kw = 0, 1, 2 all inside the row.
            for (; ow < inHi; ow++) {
              let sum = 0;
              const col = ow * strideW;
              for (let r = 0; r < rows; r++) {
                const i = rowOff[r] + col;
                const t = rowTap[r];
                sum += w[t] * x[i] + w[t + 1] * x[i + dilationW] + w[t + 2] * x[i + 2 * dilationW];
              }
              y[yr + ow] = sum;
            }
            if (ow >= OW) break;
          }
          let sum = 0;
          for (let r = 0; r < rows; r++) {
            const i = rowOff[r] + ow * strideW;
            const t = rowTap[r];
            for (let kw = 0; kw < KW; kw++) {
              if (ow >= lo[kw] && ow < hi[kw]) sum += w[t + kw] * x[i + kw * dilationW];
            }
          }
          y[yr + ow] = sum;
        }
      }
    }
  }
}

/**
 * dx[c] = Σ_m (taps of w[c·M + m] scattered back from dy[c·M + m]). Each
 * (output row, tap) adds a strided run of dy times one weight onto an input
 * row, so the inner loops carry no bounds tests.
 */
function depthwiseBackwardInput(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  d: GroupDims,
  dx: Float32Array,
): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const { kernelHeight: KH, kernelWidth: KW, strideH, strideW, padH, padW } = p;
  const { dilationH, dilationW } = p;
  const { lo, hi } = columnRanges(p);
  for (let n = 0; n < p.batch; n++) {
    for (let o = 0; o < p.outChannels; o++) {
      const xc = (n * p.inChannels + Math.floor(o / d.og)) * d.hw;
      const wo = o * d.kk;
      const yc = (n * p.outChannels + o) * d.ohw;
      for (let oh = 0; oh < OH; oh++) {
        const yr = yc + oh * OW;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * strideH + kh * dilationH - padH;
          if (ih < 0 || ih >= H) continue;
          const xr = xc + ih * W - padW;
          for (let kw = 0; kw < KW; kw++) {
            const t = w[wo + kh * KW + kw];
            const end = hi[kw];
            let j = xr + kw * dilationW + lo[kw] * strideW;
            if (strideW === 1) for (let ow = lo[kw]; ow < end; ow++) dx[j++] += t * dy[yr + ow];
            else for (let ow = lo[kw]; ow < end; ow++, j += strideW) dx[j] += t * dy[yr + ow];
          }
        }
      }
    }
  }
}

/**
 * dw[o, kh, kw] = Σ_n Σ_(oh,ow) dy[n,o,oh,ow] · x[n, o / M, tap]: one dot
 * product per tap and output row over the columns where the tap is inside
 * the row, summed in float64.
 */
function depthwiseBackwardFilter(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  d: GroupDims,
  dw: Float32Array,
): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const { kernelHeight: KH, kernelWidth: KW, strideH, strideW, padH, padW } = p;
  const { dilationH, dilationW } = p;
  const { lo, hi } = columnRanges(p);
  const acc = new Float64Array(d.kk);
  for (let o = 0; o < p.outChannels; o++) {
    acc.fill(0);
    for (let n = 0; n < p.batch; n++) {
      const xc = (n * p.inChannels + Math.floor(o / d.og)) * d.hw;
      const yc = (n * p.outChannels + o) * d.ohw;
      for (let oh = 0; oh < OH; oh++) {
        const yr = yc + oh * OW;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * strideH + kh * dilationH - padH;
          if (ih < 0 || ih >= H) continue;
          const xr = xc + ih * W - padW;
          for (let kw = 0; kw < KW; kw++) {
            const end = hi[kw];
            let j = xr + kw * dilationW + lo[kw] * strideW;
            let sum = 0;
            if (strideW === 1) for (let ow = lo[kw]; ow < end; ow++) sum += dy[yr + ow] * x[j++];
            else for (let ow = lo[kw]; ow < end; ow++, j += strideW) sum += dy[yr + ow] * x[j];
            acc[kh * KW + kw] += sum;
          }
        }
      }
    }
    for (let t = 0; t < d.kk; t++) dw[o * d.kk + t] = acc[t];
  }
}
