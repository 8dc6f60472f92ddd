/**
 * A broadcast bias add as one wasm call (a conv bias: [N, C, H·W] +
 * [C] → [N, C, H·W]) instead of one SIMD row call per (image, channel)
 * plane: biasAdd(a, bias, o, planes, C, n) writes o[pl, i] = a[pl, i] +
 * bias[pl mod C] for planes of n floats (byte addresses). f32x4.add and
 * f32.add round the sum to float32 once, like the JavaScript rows (a
 * float64 sum of two float32 values rounds to the same float32).
 */
import type { FuncBuilder } from './emit.js';

const I32_REM_U = 0x70;

export function biasAdd(f: FuncBuilder): void {
  const [A, BIAS, O, PLANES, C, N] = [0, 1, 2, 3, 4, 5];
  const pl = f.local('i32');
  const i = f.local('i32');
  const end4 = f.local('i32');
  const end = f.local('i32');
  const row = f.local('i32');
  const s = f.local('f32');
  const sv = f.local('v128');
  // end4 = 4·(n − n mod 4), end = 4·n (bytes within a plane)
  f.get(N).i32(-4).op('i32.and').i32(2).op('i32.shl').set(end4);
  f.get(N).i32(2).op('i32.shl').set(end);
  f.forUp(
    pl,
    () => f.i32(0),
    PLANES,
    1,
    () => {
      // s = bias[pl mod C]; row = pl·4n
      f.get(BIAS).get(pl).get(C);
      f.code.push(I32_REM_U);
      f.i32(2).op('i32.shl').op('i32.add').mem('f32.load').tee(s);
      f.op('f32x4.splat').set(sv);
      f.get(pl).get(end).op('i32.mul').set(row);
      f.forUp(
        i,
        () => f.i32(0),
        end4,
        16,
        () => {
          f.get(O).get(row).op('i32.add').get(i).op('i32.add');
          f.get(A).get(row).op('i32.add').get(i).op('i32.add').mem('v128.load');
          f.get(sv).op('f32x4.add').mem('v128.store');
        },
      );
      f.forUp(
        i,
        () => f.get(end4),
        end,
        4,
        () => {
          f.get(O).get(row).op('i32.add').get(i).op('i32.add');
          f.get(A).get(row).op('i32.add').get(i).op('i32.add').mem('f32.load');
          f.get(s).op('f32.add');
          f.mem('f32.store');
        },
      );
    },
  );
}
