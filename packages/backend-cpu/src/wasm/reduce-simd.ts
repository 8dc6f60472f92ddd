/**
 * WebAssembly SIMD float32 sums with float64 accumulation on the wasm heap
 * (../heap.ts), for kernels/reduce-simd.ts and kernels/batchnorm-simd.ts.
 *
 * - `sumRows(x, out, rows, n)`: out[r] = Σ_j x[r·n + j], each row summed in
 *   eight float64 partial sums (element j goes to partial j mod 8 while a full
 *   block of eight remains), combined as ((p0+p2)+(p4+p6)) + ((p1+p3)+(p5+p7)),
 *   then the last n mod 8 elements added in order. The JavaScript twin
 *   `sumRow8` in kernels/reduce-simd.ts adds in exactly this order, so the
 *   heap on/off switch gives the same bits.
 * - `sumCols(x, out, outer, size, inner)`: out[o·inner + i] = Σ_j x[(o·size
 *   + j)·inner + i] with j in order: the same additions, in the same order, as
 *   the scalar loop in reduce.ts (the lanes run across i), so bit-identical.
 *
 * Float32 is widened exactly (f64x2.promote_low_f32x4) and each result
 * rounded once to float32 (f32x4.demote_f64x2_zero / f32.demote_f64), the
 * rounding a Float32Array store of a float64 does.
 *
 * Opcodes the shared emitter (emit.ts) does not name are written here as raw
 * bytes (WebAssembly Core Specification 2.0, §5.4.8: the SIMD opcodes).
 */
import { MAX_PAGES } from '../heap.js';
import { type FuncBuilder, ModuleBuilder, uleb } from './emit.js';

/** A SIMD instruction without immediates: 0xfd, then the opcode as uleb. */
function simd(f: FuncBuilder, opcode: number): FuncBuilder {
  f.code.push(0xfd, ...uleb(opcode));
  return f;
}

/** A SIMD memory instruction with its memarg (log2 alignment, constant offset). */
function simdMem(f: FuncBuilder, opcode: number, align: number, offset: number): FuncBuilder {
  f.code.push(0xfd, ...uleb(opcode), ...uleb(align), ...uleb(offset));
  return f;
}

/** A scalar memory instruction with its memarg. */
function scalarMem(f: FuncBuilder, opcode: number, align: number, offset = 0): FuncBuilder {
  f.code.push(opcode, ...uleb(align), ...uleb(offset));
  return f;
}

export const OP = {
  load64Zero: 0x5d,
  demoteZero: 0x5e,
  promoteLow: 0x5f,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Splat: 0x14,
  f64x2Extract: 0x21,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64PromoteF32: 0xbb,
  f32DemoteF64: 0xb6,
  f32Load: 0x2a,
  f32Store: 0x38,
  v128Store64Lane: 0x5b,
} as const;

/** Pushes the two floats at addr + offset widened to f64x2. */
export function loadPair(f: FuncBuilder, offset: number): FuncBuilder {
  simdMem(f, OP.load64Zero, 3, offset);
  return simd(f, OP.promoteLow);
}

/** Pushes the float at the address on the stack, widened to f64. */
export function loadOne(f: FuncBuilder): FuncBuilder {
  scalarMem(f, OP.f32Load, 2);
  f.code.push(OP.f64PromoteF32);
  return f;
}

/** Stores the f64 on the stack (address below it) as a float32. */
export function storeOne(f: FuncBuilder): FuncBuilder {
  f.code.push(OP.f32DemoteF64);
  return scalarMem(f, OP.f32Store, 2);
}

/** Stores the f64x2 on the stack (address below it) as two float32s. */
export function storePair(f: FuncBuilder, offset: number): FuncBuilder {
  simd(f, OP.demoteZero);
  f.code.push(0xfd, ...uleb(OP.v128Store64Lane), 3, ...uleb(offset), 0);
  return f;
}

const SCALAR: ReadonlySet<number> = new Set([
  OP.f64Add,
  OP.f64Sub,
  OP.f64Mul,
  OP.f32DemoteF64,
  OP.f64PromoteF32,
]);

/** One instruction of OP without immediates (scalar f64 ones are a single byte). */
export function op(f: FuncBuilder, code: number): FuncBuilder {
  if (SCALAR.has(code)) f.code.push(code);
  else simd(f, code);
  return f;
}

/** f64.const v. */
export function f64Const(f: FuncBuilder, v: number): FuncBuilder {
  f.code.push(0x44, ...new Uint8Array(new Float64Array([v]).buffer));
  return f;
}

export function lane(f: FuncBuilder, index: 0 | 1): FuncBuilder {
  simd(f, OP.f64x2Extract);
  f.code.push(index);
  return f;
}

const sumRows = (f: FuncBuilder) => {
  // sumRows(x, out, rows, n)
  const [X, OUT, ROWS, N] = [0, 1, 2, 3];
  const r = f.local('i32');
  const p = f.local('i32'); // address of the next element
  const end8 = f.local('i32'); // address where full blocks of 8 end
  const end = f.local('i32'); // row end
  const a = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const s = f.local('f64');
  f.get(X).set(p);
  f.forUp(
    r,
    () => f.i32(0),
    ROWS,
    1,
    () => {
      for (const acc of a) f.v128Zero().set(acc);
      f.get(p).get(N).i32(2).op('i32.shl').op('i32.add').set(end);
      f.get(p).get(N).i32(-8).op('i32.and').i32(2).op('i32.shl').op('i32.add').set(end8);
      f.block((exit) => {
        f.get(p).get(end8).op('i32.ge_u').brIf(exit);
        f.loop((top) => {
          for (let k = 0; k < 4; k++) {
            f.get(a[k]).get(p);
            loadPair(f, 8 * k);
            op(f, OP.f64x2Add).set(a[k]);
          }
          f.get(p).i32(32).op('i32.add').tee(p).get(end8).op('i32.lt_u').brIf(top);
        });
      });
      // ((p0+p2)+(p4+p6)) in lane 0, ((p1+p3)+(p5+p7)) in lane 1.
      f.get(a[0]).get(a[1]);
      op(f, OP.f64x2Add);
      f.get(a[2]).get(a[3]);
      op(f, OP.f64x2Add);
      op(f, OP.f64x2Add).tee(a[0]);
      lane(f, 0).get(a[0]);
      lane(f, 1);
      op(f, OP.f64Add).set(s);
      f.block((exit) => {
        f.get(p).get(end).op('i32.ge_u').brIf(exit);
        f.loop((top) => {
          f.get(s).get(p);
          loadOne(f);
          op(f, OP.f64Add).set(s);
          f.get(p).i32(4).op('i32.add').tee(p).get(end).op('i32.lt_u').brIf(top);
        });
      });
      f.get(OUT).get(r).i32(2).op('i32.shl').op('i32.add').get(s);
      storeOne(f);
    },
  );
};

const sumCols = (f: FuncBuilder) => {
  // sumCols(x, out, outer, size, inner)
  const [X, OUT, OUTER, SIZE, INNER] = [0, 1, 2, 3, 4];
  const o = f.local('i32');
  const i = f.local('i32');
  const j = f.local('i32');
  const p = f.local('i32');
  const rowBytes = f.local('i32');
  const base = f.local('i32'); // x address of (o, 0, 0)
  const ob = f.local('i32'); // out address of (o, 0)
  const inner8 = f.local('i32');
  const a = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const s = f.local('f64');
  f.get(INNER).i32(2).op('i32.shl').set(rowBytes);
  f.get(INNER).i32(-8).op('i32.and').set(inner8);
  f.get(X).set(base);
  f.get(OUT).set(ob);
  f.forUp(
    o,
    () => f.i32(0),
    OUTER,
    1,
    () => {
      // Blocks of eight columns: four f64x2 accumulators walk down the rows.
      f.forUp(
        i,
        () => f.i32(0),
        inner8,
        8,
        () => {
          for (const acc of a) f.v128Zero().set(acc);
          f.get(base).get(i).i32(2).op('i32.shl').op('i32.add').set(p);
          f.forUp(
            j,
            () => f.i32(0),
            SIZE,
            1,
            () => {
              for (let k = 0; k < 4; k++) {
                f.get(a[k]).get(p);
                loadPair(f, 8 * k);
                op(f, OP.f64x2Add).set(a[k]);
              }
              f.get(p).get(rowBytes).op('i32.add').set(p);
            },
          );
          for (let k = 0; k < 4; k++) {
            f.get(ob).get(i).i32(2).op('i32.shl').op('i32.add').get(a[k]);
            storePair(f, 8 * k);
          }
        },
      );
      // The last inner mod 8 columns one at a time.
      f.forUp(
        i,
        () => f.get(inner8),
        INNER,
        1,
        () => {
          f64Const(f, 0).set(s);
          f.get(base).get(i).i32(2).op('i32.shl').op('i32.add').set(p);
          f.forUp(
            j,
            () => f.i32(0),
            SIZE,
            1,
            () => {
              f.get(s).get(p);
              loadOne(f);
              op(f, OP.f64Add).set(s);
              f.get(p).get(rowBytes).op('i32.add').set(p);
            },
          );
          f.get(ob).get(i).i32(2).op('i32.shl').op('i32.add').get(s);
          storeOne(f);
        },
      );
      f.get(base).get(rowBytes).get(SIZE).op('i32.mul').op('i32.add').set(base);
      f.get(ob).get(rowBytes).op('i32.add').set(ob);
    },
  );
};

/** The module's bytes (imports the shared heap memory). */
export function reduceModule(): Uint8Array<ArrayBuffer> {
  const I = 'i32' as const;
  return new ModuleBuilder()
    .importMemory({ initial: 0, maximum: MAX_PAGES, shared: true })
    .func('sumRows', [I, I, I, I], [], sumRows, true)
    .func('sumCols', [I, I, I, I, I], [], sumCols, true)
    .encode();
}

export interface ReduceKernels {
  sumRows(x: number, out: number, rows: number, n: number): void;
  sumCols(x: number, out: number, outer: number, size: number, inner: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, ReduceKernels | null>();

/** The kernels instantiated on `memory`, or null where wasm SIMD is missing. */
export function reduceKernels(memory: WebAssembly.Memory): ReduceKernels | null {
  let k = cache.get(memory);
  if (k !== undefined) return k;
  try {
    k = new WebAssembly.Instance(new WebAssembly.Module(reduceModule()), { env: { memory } })
      .exports as unknown as ReduceKernels;
  } catch {
    k = null;
  }
  cache.set(memory, k);
  return k;
}
