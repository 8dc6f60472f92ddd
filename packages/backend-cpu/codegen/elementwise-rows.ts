/**
 * Generates src/kernels/elementwise-rows.generated.ts: the per-op, per-dtype
 * row loops of the CPU backend's unary and binary kernels, from one table of
 * expressions. V8 needs each op written out as its own function (closures
 * from one factory share type feedback, and an element access that has seen
 * several typed-array types goes polymorphic, several times slower), so the
 * loops are generated as source text at development time, not built with
 * `new Function` at run time: the output is ordinary checked-in TypeScript,
 * which works under a strict Content-Security-Policy and reads like the
 * hand-written loops it replaces. test/elementwise-rows.test.ts fails when
 * the checked-in file differs from what this script writes.
 *
 *   pnpm --filter @nerve/backend-cpu codegen
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** An elementwise expression over operand expressions (and `p`, the unary param). */
type Expr1 = (v: string) => string;
type Expr2 = (a: string, b: string) => string;

/**
 * Binary arithmetic, each as BINARY_SCALAR computes it (float64, stored to
 * the output array). `generic`: also a row for any typed arrays (int32 wraps
 * on the store, as ToInt32 does).
 */
export const BINARY_ARITH: Record<string, { expr: Expr2; generic: boolean }> = {
  add: { expr: (a, b) => `${a} + ${b}`, generic: true },
  sub: { expr: (a, b) => `${a} - ${b}`, generic: true },
  mul: { expr: (a, b) => `${a} * ${b}`, generic: true },
  // Dividing (not multiplying by 1/s) keeps results bit-identical to BINARY_SCALAR.div.
  div: { expr: (a, b) => `${a} / ${b}`, generic: true },
  maximum: { expr: (a, b) => `Math.max(${a}, ${b})`, generic: false },
  minimum: { expr: (a, b) => `Math.min(${a}, ${b})`, generic: false },
};

/** float32 comparisons, stored as `+(a < b)`: a ternary compiles to a mispredicted branch. */
export const BINARY_COMPARE: Record<string, string> = {
  eq: '===',
  ne: '!==',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};

/**
 * Unary ops as UNARY_SCALAR computes them. `generic`: a row for any typed
 * arrays; `f32`: a float32 → float32 row. (relu's float32 row works on the
 * bit patterns and sigmoid's branches, so both stay hand-written in unary.ts.)
 */
export const UNARY: Record<string, { expr: Expr1; generic: boolean; f32: boolean }> = {
  neg: { expr: (v) => `-${v}`, generic: true, f32: true },
  abs: { expr: (v) => `Math.abs(${v})`, generic: true, f32: true },
  exp: { expr: (v) => `Math.exp(${v})`, generic: true, f32: true },
  log: { expr: (v) => `Math.log(${v})`, generic: true, f32: true },
  sqrt: { expr: (v) => `Math.sqrt(${v})`, generic: true, f32: true },
  square: { expr: (v) => `${v} * ${v}`, generic: true, f32: true },
  // NaN passes through, as in PyTorch.
  relu: { expr: (v) => `${v} > 0 || Number.isNaN(${v}) ? ${v} : 0`, generic: true, f32: false },
  leakyRelu: { expr: (v) => `${v} > 0 ? ${v} : p * ${v}`, generic: false, f32: true },
  tanh: { expr: (v) => `Math.tanh(${v})`, generic: true, f32: true },
  sigmoid: { expr: (v) => `sigmoid(${v}, 0)`, generic: true, f32: false },
};

const STEP3 = 't++, oi += os, ai += as, bi += bs';

/** The four loops of a binary row: contiguous, scalar b, scalar a, strided. */
function binaryRow(name: string, type: string, expr: Expr2): string {
  return `const ${name}: ${type} = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = ${expr('a[ai + t]', 'b[bi + t]')};
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = ${expr('a[ai]', 's')};
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = ${expr('s', 'b[bi]')};
  } else {
    for (let ${STEP3.replace('t++', 't = 0; t < n; t++')}) o[oi] = ${expr('a[ai]', 'b[bi]')};
  }
};
`;
}

function compareRow(name: string, cmp: string): string {
  return `const ${name}: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] ${cmp} s);
  } else {
    for (let ${STEP3.replace('t++', 't = 0; t < n; t++')}) o[oi] = +(a[ai] ${cmp} b[bi]);
  }
};
`;
}

function unaryRow(name: string, type: string, expr: Expr1, usesParam: boolean): string {
  const params = `o, oi, os, x, xi, xs, n${usesParam ? ', p' : ''}`;
  return `const ${name}: ${type} = (${params}) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = ${expr('v')};
  }
};
`;
}

function recordOf(name: string, key: string, row: string, entries: [string, string][]): string {
  const body = entries.map(([op, fn]) => `  ${op}: ${fn},\n`).join('');
  return `export const ${name}: Partial<Record<${key}, ${row}>> = {\n${body}};\n`;
}

const rowTypes = `/** Writes \`n\` outputs at o[oi + t*os] from a[ai + t*as] and b[bi + t*bs]. */
export type BinaryRow = (
  o: TypedArray,
  oi: number,
  os: number,
  a: TypedArray,
  ai: number,
  as: number,
  b: TypedArray,
  bi: number,
  bs: number,
  n: number,
) => void;

/** BinaryRow over Float32Arrays only, so every element access stays monomorphic. */
export type F32Row = (
  o: Float32Array,
  oi: number,
  os: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
) => void;

/** A float32 comparison: bool (0/1) outputs. */
export type F32CompareRow = (
  o: Uint8Array,
  oi: number,
  os: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
) => void;

/** Writes \`n\` outputs at o[oi + t*os] from x[xi + t*xs]; \`p\` is the op's parameter. */
export type UnaryRow = (
  o: TypedArray,
  oi: number,
  os: number,
  x: TypedArray,
  xi: number,
  xs: number,
  n: number,
  p: number,
) => void;

/** UnaryRow over Float32Arrays only. */
export type F32UnaryRow = (
  o: Float32Array,
  oi: number,
  os: number,
  x: Float32Array,
  xi: number,
  xs: number,
  n: number,
  p: number,
) => void;
`;

/** The generated file's text. */
export function generate(): string {
  const out: string[] = [
    `// Generated by packages/backend-cpu/codegen/elementwise-rows.ts from its op
// tables; do not edit (pnpm --filter @nerve/backend-cpu codegen rewrites it).
// One function per op and dtype family, written out for V8 (see the generator).
import type { BinaryOp, TypedArray, UnaryOp } from '@nerve/core/backend';
import { UNARY_SCALAR } from '@nerve/core/backend';

const sigmoid = UNARY_SCALAR.sigmoid;

${rowTypes}`,
  ];
  const arith = Object.entries(BINARY_ARITH);
  out.push('// ---- binary, any typed arrays ----\n');
  for (const [op, d] of arith) if (d.generic) out.push(binaryRow(`${op}Row`, 'BinaryRow', d.expr));
  out.push('// ---- binary, float32 ----\n');
  for (const [op, d] of arith) out.push(binaryRow(`${op}F32`, 'F32Row', d.expr));
  for (const [op, cmp] of Object.entries(BINARY_COMPARE)) out.push(compareRow(`${op}F32`, cmp));
  out.push('// ---- unary ----\n');
  const unary = Object.entries(UNARY);
  const usesParam = (e: Expr1) => /\bp\b/.test(e('v'));
  for (const [op, d] of unary) {
    if (d.generic) out.push(unaryRow(`${op}Row`, 'UnaryRow', d.expr, usesParam(d.expr)));
  }
  for (const [op, d] of unary) {
    if (d.f32) out.push(unaryRow(`${op}F32`, 'F32UnaryRow', d.expr, usesParam(d.expr)));
  }
  out.push('// ---- tables ----\n');
  out.push(
    recordOf(
      'BINARY_ROWS',
      'BinaryOp',
      'BinaryRow',
      arith.filter(([, d]) => d.generic).map(([op]) => [op, `${op}Row`]),
    ),
  );
  out.push(
    recordOf(
      'BINARY_F32_ROWS',
      'BinaryOp',
      'F32Row',
      arith.map(([op]) => [op, `${op}F32`]),
    ),
  );
  out.push(
    recordOf(
      'BINARY_F32_COMPARE_ROWS',
      'BinaryOp',
      'F32CompareRow',
      Object.keys(BINARY_COMPARE).map((op) => [op, `${op}F32`]),
    ),
  );
  out.push(
    recordOf(
      'UNARY_ROWS',
      'UnaryOp',
      'UnaryRow',
      unary.filter(([, d]) => d.generic).map(([op]) => [op, `${op}Row`]),
    ),
  );
  out.push(
    recordOf(
      'UNARY_F32_ROWS',
      'UnaryOp',
      'F32UnaryRow',
      unary.filter(([, d]) => d.f32).map(([op]) => [op, `${op}F32`]),
    ),
  );
  return out.join('\n');
}

/** Where the generated file lives. */
export const GENERATED_PATH = fileURLToPath(
  new URL('../src/kernels/elementwise-rows.generated.ts', import.meta.url),
);

if (process.argv.includes('--write')) {
  const text = generate();
  let old = '';
  try {
    old = readFileSync(GENERATED_PATH, 'utf8');
  } catch {}
  if (old !== text) writeFileSync(GENERATED_PATH, text);
  console.log(`${old === text ? 'up to date' : 'wrote'} ${GENERATED_PATH}`);
}
