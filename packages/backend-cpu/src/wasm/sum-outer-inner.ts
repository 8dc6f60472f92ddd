/**
 * WebAssembly kernel of core's optional `sumOuterInner` on the wasm heap:
 * out[b] = Σ_a Σ_c x[a, b, c] over a contiguous float32 [outer, size, inner]
 * buffer, each sum in float64 in (a, c) order from +0 and rounded once to
 * float32. That is exactly what the fallback computes on this backend (the
 * permuted copy [size, outer·inner], then reduce.ts's sequential float64
 * sum of each row), without the copy. A float64 sum is one dependent chain
 * per output, so four outputs run side by side to hide the add latency.
 */
import type { FuncBuilder } from './emit.js';

const F64_ADD = 0xa0;
const F64_PROMOTE_F32 = 0xbb;
const F32_DEMOTE_F64 = 0xb6;

/** Chains run side by side (four hide the float64 add latency). */
const CHAINS = 4;

/**
 * sumOI(x, out, outer, size, inner, total): byte addresses, out has `size`
 * floats; the buffer's middle axis has `total` ≥ size entries, of which
 * this call sums the first `size` (a task's share: x and out offset by it).
 */
export function sumOI(f: FuncBuilder): void {
  const [X, OUT, OUTER, SIZE, INNER, TOTAL] = [0, 1, 2, 3, 4, 5];
  const b = f.local('i32');
  const a = f.local('i32');
  const i = f.local('i32');
  const rowBytes = f.local('i32');
  const planeBytes = f.local('i32');
  const p = f.local('i32');
  const end = f.local('i32');
  const size4 = f.local('i32');
  const s = Array.from({ length: CHAINS }, () => f.local('f64'));
  // rowBytes = 4·inner (one b's run); planeBytes = 4·total·inner (one a)
  f.get(INNER).i32(2).op('i32.shl').set(rowBytes);
  f.get(TOTAL).get(rowBytes).op('i32.mul').set(planeBytes);
  f.get(SIZE).i32(-CHAINS).op('i32.and').set(size4);

  /** Sums `chains` consecutive outputs starting at b. */
  const block = (chains: number, step: number, limit: number, from: () => void) => {
    f.forUp(b, from, limit, step, () => {
      for (let k = 0; k < chains; k++) {
        f.code.push(0x44, 0, 0, 0, 0, 0, 0, 0, 0); // f64.const +0
        f.set(s[k]);
      }
      f.forUp(
        a,
        () => f.i32(0),
        OUTER,
        1,
        () => {
          // p = x + a·planeBytes + b·rowBytes; end = p + rowBytes
          f.get(X).get(a).get(planeBytes).op('i32.mul').op('i32.add');
          f.get(b).get(rowBytes).op('i32.mul').op('i32.add').tee(p);
          f.get(rowBytes).op('i32.add').set(end);
          f.forUp(
            i,
            () => f.get(p),
            end,
            4,
            () => {
              for (let k = 0; k < chains; k++) {
                f.get(s[k]);
                if (k === 0) f.get(i);
                else f.get(i).get(rowBytes).i32(k).op('i32.mul').op('i32.add');
                f.mem('f32.load');
                f.code.push(F64_PROMOTE_F32, F64_ADD);
                f.set(s[k]);
              }
            },
          );
        },
      );
      for (let k = 0; k < chains; k++) {
        f.get(OUT).get(b).i32(2).op('i32.shl').op('i32.add');
        f.get(s[k]);
        f.code.push(F32_DEMOTE_F64);
        f.mem('f32.store', 4 * k);
      }
    });
  };
  block(CHAINS, CHAINS, size4, () => f.i32(0));
  block(1, 1, SIZE, () => f.get(size4));
}
