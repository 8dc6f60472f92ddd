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
//
// Each image plane is first copied into a zero-bordered scratch plane
// (Hp = H + 2·padH, Wp = W + 2·padW), so every tap of every output is an
// in-bounds read with a fixed offset: the loops carry no bounds tests and
// 3×3 kernels run fully unrolled with their weights in locals. Sums are
// float64, rounded once on store.

/** Zero-bordered copies of one plane (reused across calls and channels). */
class Padded {
  plane = new Float32Array(0);
  hp = 0;
  wp = 0;

  /** Sizes the plane for [h, w] with borders ph, pw, all zero. */
  reset(h: number, w: number, ph: number, pw: number): Float32Array {
    this.hp = h + 2 * ph;
    this.wp = w + 2 * pw;
    const size = this.hp * this.wp;
    if (this.plane.length < size) this.plane = new Float32Array(size);
    else this.plane.fill(0, 0, size);
    return this.plane;
  }

  /** Copies plane src[off ..] ([h, w]) inside the borders; the borders stay zero. */
  load(src: Float32Array, off: number, h: number, w: number, ph: number, pw: number): void {
    const wp = this.wp;
    for (let r = 0; r < h; r++) {
      this.plane.set(src.subarray(off + r * w, off + (r + 1) * w), (r + ph) * wp + pw);
    }
  }
}

const scratchIn = new Padded();

/** Flat offsets of the taps in a plane of row length wp, in (kh, kw) order. */
function tapOffsets(kh: number, kw: number, dh: number, dw: number, wp: number): Int32Array {
  const off = new Int32Array(kh * kw);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) off[a * kw + b] = a * dh * wp + b * dw;
  return off;
}

/**
 * out[outOff + oh·OW + ow] (+)= Σ_t taps[tapOff + t] · src[(oh·sH)·wp + ow·sW + off[t]]:
 * a correlation over a zero-bordered plane.
 */
function correlate(
  src: Float32Array,
  wp: number,
  taps: Float32Array,
  tapOff: number,
  off: Int32Array,
  out: Float32Array,
  outOff: number,
  oh: number,
  ow: number,
  sh: number,
  sw: number,
  accumulate: boolean,
): void {
  const nt = off.length;
  if (nt === 9) {
    const [o0, o1, o2, o3, o4, o5, o6, o7, o8] = off;
    const w0 = taps[tapOff];
    const w1 = taps[tapOff + 1];
    const w2 = taps[tapOff + 2];
    const w3 = taps[tapOff + 3];
    const w4 = taps[tapOff + 4];
    const w5 = taps[tapOff + 5];
    const w6 = taps[tapOff + 6];
    const w7 = taps[tapOff + 7];
    const w8 = taps[tapOff + 8];
    for (let r = 0; r < oh; r++) {
      let i = r * sh * wp;
      let d = outOff + r * ow;
      if (accumulate) {
        for (let c = 0; c < ow; c++, i += sw, d++) {
          out[d] +=
            w0 * src[i + o0] +
            w1 * src[i + o1] +
            w2 * src[i + o2] +
            w3 * src[i + o3] +
            w4 * src[i + o4] +
            w5 * src[i + o5] +
            w6 * src[i + o6] +
            w7 * src[i + o7] +
            w8 * src[i + o8];
        }
        continue;
      }
      for (let c = 0; c < ow; c++, i += sw, d++) {
        out[d] =
          w0 * src[i + o0] +
          w1 * src[i + o1] +
          w2 * src[i + o2] +
          w3 * src[i + o3] +
          w4 * src[i + o4] +
          w5 * src[i + o5] +
          w6 * src[i + o6] +
          w7 * src[i + o7] +
          w8 * src[i + o8];
      }
    }
    return;
  }
  for (let r = 0; r < oh; r++) {
    let i = r * sh * wp;
    let d = outOff + r * ow;
    for (let c = 0; c < ow; c++, i += sw, d++) {
      let v = 0;
      for (let t = 0; t < nt; t++) v += taps[tapOff + t] * src[i + off[t]];
      out[d] = accumulate ? out[d] + v : v;
    }
  }
}

/** y[n, o] = w[o] ⋆ x[n, o / M] for every image and output channel o (M = Og). */
function depthwiseForward(
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  d: GroupDims,
  y: Float32Array,
): void {
  const { inHeight: H, inWidth: W, padH, padW } = p;
  const pad = scratchIn;
  pad.reset(H, W, padH, padW);
  const off = tapOffsets(p.kernelHeight, p.kernelWidth, p.dilationH, p.dilationW, pad.wp);
  for (let n = 0; n < p.batch; n++) {
    for (let c = 0; c < p.inChannels; c++) {
      pad.load(x, (n * p.inChannels + c) * d.hw, H, W, padH, padW);
      for (let m = 0; m < d.og; m++) {
        const o = c * d.og + m;
        const yOff = (n * p.outChannels + o) * d.ohw;
        const [oh, ow, sh, sw] = [p.outHeight, p.outWidth, p.strideH, p.strideW];
        correlate(pad.plane, pad.wp, w, o * d.kk, off, y, yOff, oh, ow, sh, sw, false);
      }
    }
  }
}

/**
 * dx[n, c] = Σ_m the taps of w[c·M + m] sent back from dy[n, c·M + m]. With
 * unit strides that is a correlation of dy, bordered by (k−1)·dilation − pad,
 * with the kernel flipped (one pass per input pixel); otherwise each dy
 * element is scattered onto a zero-bordered plane whose interior is dx.
 */
function depthwiseBackwardInput(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  d: GroupDims,
  dx: Float32Array,
): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const { kernelHeight: KH, kernelWidth: KW, dilationH, dilationW, padH, padW } = p;
  const bh = (KH - 1) * dilationH - padH;
  const bw = (KW - 1) * dilationW - padW;
  // Unit stride, and the flipped window covers exactly the input: OH + 2·bh − (KH−1)·dH = H.
  if (p.strideH === 1 && p.strideW === 1 && bh >= 0 && bw >= 0) {
    const pad = scratchIn;
    pad.reset(OH, OW, bh, bw);
    const off = tapOffsets(KH, KW, dilationH, dilationW, pad.wp);
    const flipped = new Float32Array(d.kk);
    for (let n = 0; n < p.batch; n++) {
      for (let o = 0; o < p.outChannels; o++) {
        const c = Math.floor(o / d.og);
        pad.load(dy, (n * p.outChannels + o) * d.ohw, OH, OW, bh, bw);
        for (let t = 0; t < d.kk; t++) flipped[t] = w[o * d.kk + d.kk - 1 - t];
        const dxOff = (n * p.inChannels + c) * d.hw;
        correlate(pad.plane, pad.wp, flipped, 0, off, dx, dxOff, H, W, 1, 1, o % d.og !== 0);
      }
    }
    return;
  }
  const pad = new Padded();
  const plane = pad.reset(H, W, padH, padW);
  const wp = pad.wp;
  const off = tapOffsets(KH, KW, dilationH, dilationW, wp);
  for (let n = 0; n < p.batch; n++) {
    for (let c = 0; c < p.inChannels; c++) {
      if (c > 0 || n > 0) plane.fill(0, 0, pad.hp * wp);
      for (let m = 0; m < d.og; m++) {
        const o = c * d.og + m;
        const yOff = (n * p.outChannels + o) * d.ohw;
        scatter(dy, yOff, OH, OW, p.strideH, p.strideW, w, o * d.kk, off, plane, wp);
      }
      const dxOff = (n * p.inChannels + c) * d.hw;
      for (let r = 0; r < H; r++) {
        const from = (r + padH) * wp + padW;
        dx.set(plane.subarray(from, from + W), dxOff + r * W);
      }
    }
  }
}

/** plane[(oh·sH)·wp + ow·sW + off[t]] += taps[tapOff + t] · dy[yOff + oh·OW + ow]. */
function scatter(
  dy: Float32Array,
  yOff: number,
  oh: number,
  ow: number,
  sh: number,
  sw: number,
  taps: Float32Array,
  tapOff: number,
  off: Int32Array,
  plane: Float32Array,
  wp: number,
): void {
  const nt = off.length;
  if (nt === 9) {
    const [o0, o1, o2, o3, o4, o5, o6, o7, o8] = off;
    const w0 = taps[tapOff];
    const w1 = taps[tapOff + 1];
    const w2 = taps[tapOff + 2];
    const w3 = taps[tapOff + 3];
    const w4 = taps[tapOff + 4];
    const w5 = taps[tapOff + 5];
    const w6 = taps[tapOff + 6];
    const w7 = taps[tapOff + 7];
    const w8 = taps[tapOff + 8];
    for (let r = 0; r < oh; r++) {
      let i = r * sh * wp;
      let j = yOff + r * ow;
      for (let c = 0; c < ow; c++, i += sw, j++) {
        const g = dy[j];
        plane[i + o0] += w0 * g;
        plane[i + o1] += w1 * g;
        plane[i + o2] += w2 * g;
        plane[i + o3] += w3 * g;
        plane[i + o4] += w4 * g;
        plane[i + o5] += w5 * g;
        plane[i + o6] += w6 * g;
        plane[i + o7] += w7 * g;
        plane[i + o8] += w8 * g;
      }
    }
    return;
  }
  for (let r = 0; r < oh; r++) {
    let i = r * sh * wp;
    let j = yOff + r * ow;
    for (let c = 0; c < ow; c++, i += sw, j++) {
      const g = dy[j];
      for (let t = 0; t < nt; t++) plane[i + off[t]] += taps[tapOff + t] * g;
    }
  }
}

/**
 * dw[o, t] = Σ_n Σ_(oh,ow) dy[n, o, oh, ow] · x[n, o / M, tap t]: one pass over
 * each dy plane, every tap's sum in a float64 accumulator.
 */
function depthwiseBackwardFilter(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  d: GroupDims,
  dw: Float32Array,
): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, padH, padW } = p;
  const { strideH: sh, strideW: sw } = p;
  const pad = scratchIn;
  pad.reset(H, W, padH, padW);
  const wp = pad.wp;
  const off = tapOffsets(p.kernelHeight, p.kernelWidth, p.dilationH, p.dilationW, wp);
  const acc = new Float64Array(p.outChannels * d.kk);
  const nine = d.kk === 9;
  for (let n = 0; n < p.batch; n++) {
    for (let c = 0; c < p.inChannels; c++) {
      pad.load(x, (n * p.inChannels + c) * d.hw, H, W, padH, padW);
      const src = pad.plane;
      for (let m = 0; m < d.og; m++) {
        const o = c * d.og + m;
        const yOff = (n * p.outChannels + o) * d.ohw;
        if (nine) {
          const [o0, o1, o2, o3, o4, o5, o6, o7, o8] = off;
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          let a4 = 0;
          let a5 = 0;
          let a6 = 0;
          let a7 = 0;
          let a8 = 0;
          for (let r = 0; r < OH; r++) {
            let i = r * sh * wp;
            let j = yOff + r * OW;
            for (let col = 0; col < OW; col++, i += sw, j++) {
              const g = dy[j];
              a0 += g * src[i + o0];
              a1 += g * src[i + o1];
              a2 += g * src[i + o2];
              a3 += g * src[i + o3];
              a4 += g * src[i + o4];
              a5 += g * src[i + o5];
              a6 += g * src[i + o6];
              a7 += g * src[i + o7];
              a8 += g * src[i + o8];
            }
          }
          const b = o * 9;
          acc[b] += a0;
          acc[b + 1] += a1;
          acc[b + 2] += a2;
          acc[b + 3] += a3;
          acc[b + 4] += a4;
          acc[b + 5] += a5;
          acc[b + 6] += a6;
          acc[b + 7] += a7;
          acc[b + 8] += a8;
          continue;
        }
        for (let r = 0; r < OH; r++) {
          let i = r * sh * wp;
          let j = yOff + r * OW;
          for (let col = 0; col < OW; col++, i += sw, j++) {
            const g = dy[j];
            for (let t = 0; t < d.kk; t++) acc[o * d.kk + t] += g * src[i + off[t]];
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) dw[i] = acc[i];
}
