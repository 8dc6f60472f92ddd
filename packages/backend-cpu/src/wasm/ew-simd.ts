/**
 * WebAssembly SIMD elementwise kernels on the wasm heap (../heap.ts): ReLU
 * and float32 add / sub / mul, contiguous or with a broadcast scalar (a
 * bias add is one row per (image, channel) plane with the channel's bias as
 * the scalar). They read and write tensors in place, so none of the copies
 * that made the earlier wasm elementwise experiment a wash (docs/performance.md).
 *
 * Every export works on n4 floats, a multiple of 4 (addresses in bytes); the
 * caller finishes the last n mod 4 in JavaScript. The results are
 * bit-identical to the scalar definitions in @nerve/core: float32 add, sub
 * and mul are correctly rounded in both (a float64 sum of two float32 values
 * rounds to the same float32), and ReLU keeps x where x > 0 or x is NaN and
 * gives +0 elsewhere, as `v128.andnot(x, x <= 0)` does.
 */
import { type FuncBuilder, ModuleBuilder, type PlainOp } from './emit.js';
import { MAX_PAGES } from '../heap.js';

type F = (f: FuncBuilder) => void;

/** for (i = 0; i < 4*n4 bytes; i += 16) body(i) over params (…, n4 last). */
function loop16(f: FuncBuilder, n4: number, body: (i: number) => void): void {
  const i = f.local('i32');
  const end = f.local('i32');
  f.get(n4).i32(2).op('i32.shl').set(end);
  f.forUp(
    i,
    () => f.i32(0),
    end,
    16,
    () => body(i),
  );
}

const relu: F = (f) => {
  // relu(x, o, n4)
  const zero = f.local('v128');
  const v = f.local('v128');
  f.v128Zero().set(zero);
  loop16(f, 2, (i) => {
    f.get(1).get(i).op('i32.add');
    f.get(0).get(i).op('i32.add').mem('v128.load').tee(v);
    f.get(v).get(zero).op('f32x4.le').op('v128.andnot');
    f.mem('v128.store');
  });
};

const reluGrad: F = (f) => {
  // reluGrad(x, dy, o, n4): o = x ≤ 0 ? +0 : dy (a NaN x fails ≤ and passes dy)
  const zero = f.local('v128');
  f.v128Zero().set(zero);
  loop16(f, 3, (i) => {
    f.get(2).get(i).op('i32.add');
    f.get(1).get(i).op('i32.add').mem('v128.load');
    f.get(0).get(i).op('i32.add').mem('v128.load').get(zero).op('f32x4.le');
    f.op('v128.andnot').mem('v128.store');
  });
};

function vv(op: PlainOp): F {
  // op(a, b, o, n4): o = a op b
  return (f) =>
    loop16(f, 3, (i) => {
      f.get(2).get(i).op('i32.add');
      f.get(0).get(i).op('i32.add').mem('v128.load');
      f.get(1).get(i).op('i32.add').mem('v128.load');
      f.op(op).mem('v128.store');
    });
}

function vs(op: PlainOp, scalarFirst: boolean): F {
  // op(a, s, o, n4): o = a op s (or s op a)
  return (f) => {
    const s = f.local('v128');
    f.get(1).op('f32x4.splat').set(s);
    loop16(f, 3, (i) => {
      f.get(2).get(i).op('i32.add');
      if (scalarFirst) f.get(s);
      f.get(0).get(i).op('i32.add').mem('v128.load');
      if (!scalarFirst) f.get(s);
      f.op(op).mem('v128.store');
    });
  };
}

/** The module's bytes (imports the shared heap memory). */
export function elementwiseModule(): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder().importMemory({ initial: 0, maximum: MAX_PAGES, shared: true });
  const I = 'i32' as const;
  mod.func('relu', [I, I, I], [], relu, true);
  mod.func('reluGrad', [I, I, I, I], [], reluGrad, true);
  for (const [name, op] of [
    ['add', 'f32x4.add'],
    ['sub', 'f32x4.sub'],
    ['mul', 'f32x4.mul'],
  ] as const) {
    mod.func(name, [I, I, I, I], [], vv(op), true);
    mod.func(`${name}S`, [I, 'f32', I, I], [], vs(op, false), true);
    if (name === 'sub') mod.func('rsubS', [I, 'f32', I, I], [], vs(op, true), true);
  }
  return mod.encode();
}

export interface ElementwiseKernels {
  relu(x: number, o: number, n4: number): void;
  reluGrad(x: number, dy: number, o: number, n4: number): void;
  add(a: number, b: number, o: number, n4: number): void;
  sub(a: number, b: number, o: number, n4: number): void;
  mul(a: number, b: number, o: number, n4: number): void;
  addS(a: number, s: number, o: number, n4: number): void;
  subS(a: number, s: number, o: number, n4: number): void;
  rsubS(a: number, s: number, o: number, n4: number): void;
  mulS(a: number, s: number, o: number, n4: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, ElementwiseKernels | null>();

/** The kernels instantiated on `memory`, or null where wasm SIMD is missing. */
export function elementwiseKernels(memory: WebAssembly.Memory): ElementwiseKernels | null {
  let k = cache.get(memory);
  if (k !== undefined) return k;
  try {
    const bytes = elementwiseModule();
    k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
      .exports as unknown as ElementwiseKernels;
  } catch {
    k = null;
  }
  cache.set(memory, k);
  return k;
}
