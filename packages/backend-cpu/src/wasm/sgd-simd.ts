/**
 * The fused SGD update (../kernels/optim.ts's sgdUpdate) as WebAssembly SIMD
 * on the wasm heap, four elements per instruction, so that it runs as tasks
 * of the worker pool (it is part of the runtime's module through
 * pool-simd.ts's addPoolFuncs). Each element is read and written by one task
 * with the same operations, so any split gives the same bits.
 *
 * Bit-identical to the JS loop: every JS step is Math.fround(a ∘ b) of
 * float32 operands (or a float64 a − b stored to a Float32Array, one
 * rounding), which equals the correctly rounded float32 operation (float64
 * has more than 2·24 + 2 significand bits: Figueroa 1995); wasm's f32 and
 * f32x4 add/sub/mul are IEEE 754 correctly rounded. Optional parts (weight
 * decay, momentum, Nesterov) are separate functions, never a multiply by 1
 * or an add of 0 (those change −0 results).
 *
 * sgd*(P, G, B, O, OB, n, lr, wd, mom, keep): byte addresses of the
 * parameter, gradient, momentum buffer in (read only by the `_buf`
 * variants), new parameter and new momentum buffer (written only by the
 * momentum variants), n elements, then the float32 scalars.
 */
import type { FuncBuilder, ModuleBuilder } from './emit.js';

/** Momentum: none, the first step (b = d) or later steps (b = μ·B + (1 − dampening)·d). */
export type SgdMomentum = 'none' | 'first' | 'buf';

export interface SgdVariant {
  decay: boolean;
  momentum: SgdMomentum;
  nesterov: boolean;
}

/** The export name of a variant. */
export function sgdName(v: SgdVariant): `sgd${string}` {
  if (v.momentum === 'none') return `sgd${v.decay ? '_wd' : ''}`;
  return `sgd${v.decay ? '_wd' : ''}_${v.momentum}${v.nesterov ? '_nest' : ''}`;
}

/** Every variant, in a fixed order. */
export function sgdVariants(): SgdVariant[] {
  const out: SgdVariant[] = [];
  for (const decay of [false, true]) {
    out.push({ decay, momentum: 'none', nesterov: false });
    for (const momentum of ['first', 'buf'] as const) {
      for (const nesterov of [false, true]) out.push({ decay, momentum, nesterov });
    }
  }
  return out;
}

const [P, G, B, O, OB, N, LR, WD, MOM, KEEP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

function emitLoop(f: FuncBuilder, v: SgdVariant, lanes: 4 | 1, start: number, end: number): void {
  const vec = lanes === 4;
  const T = vec ? 'v128' : 'f32';
  const load = vec ? ('v128.load' as const) : ('f32.load' as const);
  const store = vec ? ('v128.store' as const) : ('f32.store' as const);
  const add = vec ? ('f32x4.add' as const) : ('f32.add' as const);
  const sub = vec ? ('f32x4.sub' as const) : ('f32.sub' as const);
  const mul = vec ? ('f32x4.mul' as const) : ('f32.mul' as const);
  const scalar = (param: number) => {
    if (!vec) return param;
    const l = f.local('v128');
    f.get(param).op('f32x4.splat').set(l);
    return l;
  };
  const lr = scalar(LR);
  const wd = v.decay ? scalar(WD) : -1;
  const mom = v.momentum !== 'none' ? scalar(MOM) : -1;
  const keep = v.momentum === 'buf' ? scalar(KEEP) : -1;
  const i = f.local('i32'); // byte offset
  const lim = f.local('i32');
  const w = f.local(T);
  const d = f.local(T);
  const m = f.local(T);
  const at = (ptr: number) => f.get(ptr).get(i).op('i32.add');
  f.get(end).i32(4).op('i32.mul').set(lim);
  f.forUp(
    i,
    () => f.get(start).i32(4).op('i32.mul'),
    lim,
    4 * lanes,
    () => {
      at(P).mem(load).set(w);
      // d = decay ? g + w·wd : g
      at(G).mem(load);
      if (v.decay) f.get(w).get(wd).op(mul).op(add);
      f.set(d);
      if (v.momentum !== 'none') {
        // m = first ? d : B·μ + d·keep; OB = m
        if (v.momentum === 'first') f.get(d).set(m);
        else at(B).mem(load).get(mom).op(mul).get(d).get(keep).op(mul).op(add).set(m);
        at(OB).get(m).mem(store);
        // d = nesterov ? d + m·μ : m
        if (v.nesterov) f.get(d).get(m).get(mom).op(mul).op(add).set(d);
        else f.get(m).set(d);
      }
      // O = w − d·lr
      at(O).get(w).get(d).get(lr).op(mul).op(sub).mem(store);
    },
  );
}

/** Adds every variant to `mod` (exported). */
export function addSgdFuncs(mod: ModuleBuilder): void {
  const I = 'i32' as const;
  const F = 'f32' as const;
  for (const v of sgdVariants()) {
    mod.func(
      sgdName(v),
      [I, I, I, I, I, I, F, F, F, F],
      [],
      (f) => {
        // Vector loop over [0, n4), scalar tail over [n4, n).
        const n4 = f.local('i32');
        const zero = f.local('i32');
        f.i32(0).set(zero);
        f.get(N).i32(-4).op('i32.and').set(n4);
        emitLoop(f, v, 4, zero, n4);
        emitLoop(f, v, 1, n4, N);
      },
      true,
    );
  }
}
