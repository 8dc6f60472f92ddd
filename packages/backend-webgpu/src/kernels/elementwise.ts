/**
 * The elementwise primitives of the Backend contract (unary, binary, where,
 * copy with dtype conversion, copyInto, fill), built from the op table and
 * the strided kernel template.
 */
import type {
  BinaryOp,
  BinaryParams,
  CopyIntoParams,
  CopyParams,
  DType,
  StridedView,
  UnaryOp,
  UnaryParams,
  WhereParams,
} from '@nerve/core/backend';
import { NerveError } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl, wgslType } from '../context.js';
import {
  BINARY_F32,
  BINARY_I32,
  COMPARE,
  helperSource,
  logicalNotExpr,
  type OpExpr,
  UNARY_F32,
  UNARY_I32,
} from './op-table.js';
import { dense, elementwiseWorkgroup, type Operand, runStrided } from './strided.js';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The zero literal of a WGSL type. */
const zeroOf = (t: 'f32' | 'i32' | 'u32') => (t === 'f32' ? '0.0' : t === 'i32' ? '0' : '0u');

function operand(v: StridedView, dtype: DType): Operand {
  return { data: v.id as GpuData, layout: v, type: wgslType(dtype) };
}

function output(ctx: GpuContext, shape: readonly number[], dtype: DType): Operand {
  return { data: ctx.alloc(sizeOf(shape), dtype), layout: dense(shape), type: wgslType(dtype) };
}

/** out = op(x) over `p.shape`. */
export function unary(ctx: GpuContext, op: UnaryOp, x: StridedView, p: UnaryParams): GpuData {
  const { shape, inDtype, outDtype, param = 0 } = p;
  const t = wgslType(inDtype);
  let def: OpExpr | undefined;
  if (op === 'logicalNot') def = logicalNotExpr(zeroOf(t));
  else if (inDtype === 'float32') def = UNARY_F32[op];
  else if (inDtype === 'int32') def = UNARY_I32[op];
  if (def === undefined || (op !== 'logicalNot' && outDtype !== inDtype)) {
    throw new NerveError('webgpu.unary', `an op defined for ${inDtype}`, `${op} → ${outDtype}`);
  }
  const out = output(ctx, shape, outDtype);
  runStrided(ctx, {
    key: `unary:${op}`,
    shape,
    output: out,
    inputs: [operand(x, inDtype)],
    names: ['x'],
    expr: def.expr,
    helpers: helperSource(def.helpers ?? []),
    param,
  });
  return out.data;
}

/** out = op(a, b) over `p.shape`; comparisons and logical ops give bool. */
export function binary(
  ctx: GpuContext,
  op: BinaryOp,
  a: StridedView,
  b: StridedView,
  p: BinaryParams,
): GpuData {
  const { shape, inDtype, outDtype } = p;
  const t = wgslType(inDtype);
  const compare = COMPARE[op];
  let expr: string;
  let helpers: readonly string[] = [];
  if (compare !== undefined) {
    expr = `select(0u, 1u, ${compare(zeroOf(t))})`;
  } else {
    const def =
      inDtype === 'float32' ? BINARY_F32[op] : inDtype === 'int32' ? BINARY_I32[op] : undefined;
    if (def === undefined || outDtype !== inDtype) {
      throw new NerveError('webgpu.binary', `an op defined for ${inDtype}`, `${op} → ${outDtype}`);
    }
    expr = def.expr;
    helpers = def.helpers ?? [];
  }
  const out = output(ctx, shape, outDtype);
  runStrided(ctx, {
    key: `binary:${op}`,
    shape,
    output: out,
    inputs: [operand(a, inDtype), operand(b, inDtype)],
    names: ['a', 'b'],
    expr,
    helpers: helperSource(helpers),
  });
  return out.data;
}

/** out = cond ? a : b. */
export function where(
  ctx: GpuContext,
  cond: StridedView,
  a: StridedView,
  b: StridedView,
  p: WhereParams,
): GpuData {
  const { shape, dtype } = p;
  const out = output(ctx, shape, dtype);
  runStrided(ctx, {
    key: 'where',
    shape,
    output: out,
    inputs: [operand(cond, 'bool'), operand(a, dtype), operand(b, dtype)],
    names: ['c', 'a', 'b'],
    expr: 'select(b, a, c != 0u)',
  });
  return out.data;
}

/** WGSL that converts `x` of one dtype to another, as the CPU backend's typed arrays do. */
function castExpr(from: DType, to: DType): OpExpr {
  if (from === to) return { expr: 'x' };
  if (to === 'bool') return { expr: `select(1u, 0u, x == ${zeroOf(wgslType(from))})` };
  if (to === 'float32') return { expr: 'f32(x)' };
  // → int32: bool is 0/1 already; floats truncate toward zero (ToInt32).
  return from === 'bool' ? { expr: 'i32(x)' } : { expr: 'to_i32(x)', helpers: ['toInt32'] };
}

/** A new contiguous buffer holding the view, converted to `outDtype`. */
export function copy(ctx: GpuContext, x: StridedView, p: CopyParams): GpuData {
  const { shape, inDtype, outDtype } = p;
  const def = castExpr(inDtype, outDtype);
  const out = output(ctx, shape, outDtype);
  runStrided(ctx, {
    key: 'copy',
    shape,
    output: out,
    inputs: [operand(x, inDtype)],
    names: ['x'],
    expr: def.expr,
    helpers: helperSource(def.helpers ?? []),
  });
  return out.data;
}

/** Writes `src` into the region of `dst` its view describes. */
export function copyInto(
  ctx: GpuContext,
  dst: StridedView,
  src: StridedView,
  p: CopyIntoParams,
): void {
  const { shape, dtype } = p;
  runStrided(ctx, {
    key: 'copyInto',
    shape,
    output: operand(dst, dtype),
    inputs: [operand(src, dtype)],
    names: ['x'],
    expr: 'x',
  });
}

/** A buffer of `size` elements all holding the 32-bit word `bits`. */
export function fillWords(ctx: GpuContext, size: number, dtype: DType, bits: number): GpuData {
  const out = ctx.alloc(size, dtype);
  const uniforms = new Uint32Array([size, bits >>> 0]).buffer;
  const wg = elementwiseWorkgroup(ctx);
  const [x, y] = ctx.dispatch1d(size, wg);
  ctx.run({
    key: `fill|wg${wg}`,
    code: () => `
struct U { n: u32, v: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> u: U;
${flatIndexWgsl(wg)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i < u.n) { out[i] = u.v; }
}
`,
    inputs: [],
    outputs: [out],
    uniforms,
    workgroups: [x, y],
  });
  return out;
}

/** The 32-bit word that stores `value` as `dtype` (float bits, ToInt32, or 0/1). */
export function wordOf(dtype: DType, value: number): number {
  if (dtype === 'float32') return new Uint32Array(new Float32Array([value]).buffer)[0];
  if (dtype === 'int32') return new Int32Array([value])[0] >>> 0;
  return value !== 0 ? 1 : 0;
}
