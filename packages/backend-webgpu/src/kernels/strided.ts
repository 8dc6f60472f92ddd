/**
 * Strided elementwise kernels: one WGSL template for every kernel that reads
 * (and possibly writes) operands through explicit strides.
 *
 * Before generating code, dimensions of size 1 are dropped and neighbouring
 * dimensions that are contiguous for every operand are merged (as the CPU
 * backend's RowIter does), so a dense call becomes rank 1 and a bias add
 * rank 2. Each operand whose merged strides are the dense ones is then read
 * at `offset + i`; only the others pay for turning the flat output index
 * into coordinates. Rank and those flags are part of the pipeline key; the
 * sizes, strides and offsets are uniforms, so shapes do not recompile.
 */
import { contiguousStrides } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl } from '../context.js';

/** Where an operand is read or written: offset + Σ i_k * strides[k]. */
export interface Layout {
  readonly strides: readonly number[];
  readonly offset: number;
}

/** One operand of a strided kernel. */
export interface Operand {
  readonly data: GpuData;
  readonly layout: Layout;
  /** WGSL element type of the buffer. */
  readonly type: 'f32' | 'i32' | 'u32';
}

/** A strided kernel: the output and inputs, and the WGSL that computes one element. */
export interface StridedKernel {
  /** Identifies the expression and types (the rank and flags are appended). */
  readonly key: string;
  readonly shape: readonly number[];
  readonly output: Operand;
  readonly inputs: readonly Operand[];
  /** Names the loaded input values are bound to in `expr`, e.g. ['a', 'b']. */
  readonly names: readonly string[];
  /** WGSL expression of the output element (may use `p`). */
  readonly expr: string;
  /** WGSL declarations the expression needs. */
  readonly helpers?: string;
  /** The f32 parameter `p` (leakyRelu slope, elu alpha). */
  readonly param?: number;
}

/** Invocations per workgroup (fewer where the device allows fewer, e.g. compatibility mode). */
export const elementwiseWorkgroup = (ctx: GpuContext): number =>
  Math.min(256, ctx.limits.maxWorkgroupSize);

/** The layout of a kernel output: contiguous from element 0. */
export function dense(shape: readonly number[]): Layout {
  return { strides: contiguousStrides(shape), offset: 0 };
}

/** Drops size-1 dims and merges dims contiguous for every operand; returns the merged shape and strides. */
export function coalesce(
  shape: readonly number[],
  layouts: readonly Layout[],
): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  const strides: number[][] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const s = layouts.map((l) => l.strides[d]);
    const last = dims.length - 1;
    if (last >= 0 && strides[last].every((prev, k) => prev === s[k] * size)) {
      dims[last] *= size;
      strides[last] = s;
    } else {
      dims.push(size);
      strides.push(s);
    }
  }
  // Transpose to per-operand strides.
  return { shape: dims, strides: layouts.map((_, k) => strides.map((s) => s[k])) };
}

/** Records a strided elementwise kernel. */
export function runStrided(ctx: GpuContext, k: StridedKernel): void {
  const n = k.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const operands = [k.output, ...k.inputs];
  const merged = coalesce(
    k.shape,
    operands.map((o) => o.layout),
  );
  const rank = merged.shape.length;
  const denseMerged = contiguousStrides(merged.shape);
  const contiguous = merged.strides.map((s) => s.every((v, d) => v === denseMerged[d]));
  const flags = contiguous.map((c) => (c ? 'c' : 'g')).join('');
  const types = operands.map((o) => o.type).join(',');

  // Uniforms: n, p, dims, then per operand its offset and (if general) strides.
  const words: number[] = [n, 0];
  for (const d of merged.shape) words.push(d);
  operands.forEach((o, j) => {
    words.push(o.layout.offset);
    if (!contiguous[j]) for (const s of merged.strides[j]) words.push(s);
  });
  const buf = new ArrayBuffer(words.length * 4);
  const i32 = new Int32Array(buf);
  for (let w = 0; w < words.length; w++) i32[w] = words[w];
  new Float32Array(buf, 4, 1)[0] = k.param ?? 0;

  const wg = elementwiseWorkgroup(ctx);
  const [x, y] = ctx.dispatch1d(n, wg);
  ctx.run({
    key: `${k.key}|${types}|r${rank}|${flags}|wg${wg}`,
    code: () => stridedSource(k, operands, rank, contiguous, wg),
    inputs: k.inputs.map((o) => o.data),
    outputs: [k.output.data],
    uniforms: buf,
    workgroups: [x, y],
  });
}

function stridedSource(
  k: StridedKernel,
  operands: readonly Operand[],
  rank: number,
  contiguous: readonly boolean[],
  wg: number,
): string {
  const fields = ['n: u32', 'p: f32'];
  for (let d = 0; d < rank; d++) fields.push(`d${d}: u32`);
  operands.forEach((_, j) => {
    fields.push(`o${j}: i32`);
    if (!contiguous[j]) for (let d = 0; d < rank; d++) fields.push(`s${j}_${d}: i32`);
  });
  const decls = k.inputs.map(
    (o, j) => `@group(0) @binding(${j}) var<storage, read> in${j}: array<${o.type}>;`,
  );
  const m = k.inputs.length;
  decls.push(
    `@group(0) @binding(${m}) var<storage, read_write> out: array<${k.output.type}>;`,
    `@group(0) @binding(${m + 1}) var<uniform> u: U;`,
  );
  const body: string[] = [];
  if (contiguous.some((c) => !c)) {
    body.push('var rem = i;');
    for (let d = rank - 1; d > 0; d--) {
      body.push(`let c${d} = i32(rem % u.d${d}); rem = rem / u.d${d};`);
    }
    body.push('let c0 = i32(rem);');
  }
  const index = (j: number) => {
    if (contiguous[j]) return `u.o${j} + i32(i)`;
    const terms = [`u.o${j}`];
    for (let d = 0; d < rank; d++) terms.push(`c${d} * u.s${j}_${d}`);
    return terms.join(' + ');
  };
  k.inputs.forEach((_, j) => {
    body.push(`let ${k.names[j]} = in${j}[${index(j + 1)}];`);
  });
  body.push(`out[${index(0)}] = ${k.expr};`);
  return `${k.helpers ?? ''}
struct U { ${fields.join(', ')} }
${decls.join('\n')}
${flatIndexWgsl(wg)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= u.n) { return; }
  let p = u.p;
  ${body.join('\n  ')}
}
`;
}
