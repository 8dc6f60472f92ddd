/**
 * The search experiment's synthetic parts, drawn with @nerve/tune's own
 * spaces (the same Philox streams a study uses):
 *
 * - Random vs grid search on one budget (Bergstra & Bengio 2012). The
 *   objective f(x, y) = (x − x*)² + w·(y − y*)² has one important and one
 *   unimportant parameter (w = 0.01), with the optimum (x*, y*) drawn
 *   uniformly per seed. A k×k grid tries only k values of x, a random
 *   search of k² trials tries k² of them.
 *
 *   The math the measurements are checked against: for x* uniform on
 *   [0, 1] and grid points i/(k − 1), the distance to the nearest grid value
 *   is uniform on [0, h] with h = 1/(2(k − 1)), so E[d²] = h²/3 and the
 *   grid's best is (1 + w)·h²/3 on average (the grid is a product, so its
 *   minimum splits into x and y parts). For n random points the nearest x
 *   has E[d²] = ∫ 2t·P(D > t) dt with P(D > t) = ∫ (1 − |[x* − t, x* + t] ∩
 *   [0, 1]|)ⁿ dx*, integrated numerically below; the random search's best
 *   lies between that and that plus w·E[(y − y*)²] = w/6.
 * - Log vs linear sampling of a learning rate over [1e-6, 1]: uniform
 *   sampling puts (10^(d+1) − 10^d)/(1 − 1e-6) of the draws in decade d,
 *   90% in [0.1, 1]; log-uniform puts 1/6 in each of the six decades.
 */
import { space, uniform, logUniform } from '@nerve/tune';

/** The weight of the unimportant parameter in the synthetic objective. */
export const UNIMPORTANT_WEIGHT = 0.01;

/** What random and grid search found on one seed's objective. */
export interface SearchDuel {
  optimum: { x: number; y: number };
  gridBest: number;
  randomBest: number;
  gridDistinctX: number;
  randomDistinctX: number;
}

/** Random vs grid search over `seeds` objectives, `budget` = k² trials each. */
export function randomVsGrid(
  budget: number,
  seeds: number,
  seed: number,
): { duels: SearchDuel[]; grid: { x: number; y: number }[]; random: { x: number; y: number }[] } {
  const k = Math.round(Math.sqrt(budget));
  const sp = space({
    important: uniform(0, 1, { steps: k }),
    unimportant: uniform(0, 1, { steps: k }),
  });
  const optimumSpace = space({ x: uniform(0, 1), y: uniform(0, 1) });
  const grid = sp.grid().map((c) => ({ x: c.important as number, y: c.unimportant as number }));
  const f = (o: { x: number; y: number }, c: { x: number; y: number }) =>
    (c.x - o.x) ** 2 + UNIMPORTANT_WEIGHT * (c.y - o.y) ** 2;
  const duels: SearchDuel[] = [];
  let firstRandom: { x: number; y: number }[] = [];
  for (let s = 0; s < seeds; s++) {
    const o = optimumSpace.sample(seed + 1, s);
    const optimum = { x: o.x as number, y: o.y as number };
    // Trial ids s·budget … s·budget + budget − 1 of the study seeded `seed`.
    const random = Array.from({ length: k * k }, (_, i) => {
      const c = sp.sample(seed, s * k * k + i);
      return { x: c.important as number, y: c.unimportant as number };
    });
    if (s === 0) firstRandom = random;
    duels.push({
      optimum,
      gridBest: Math.min(...grid.map((c) => f(optimum, c))),
      randomBest: Math.min(...random.map((c) => f(optimum, c))),
      gridDistinctX: new Set(grid.map((c) => c.x)).size,
      randomDistinctX: new Set(random.map((c) => c.x)).size,
    });
  }
  return { duels, grid, random: firstRandom };
}

/** E[best] of a k×k grid on the synthetic objective (see the module docblock). */
export function expectedGridBest(k: number): number {
  const h = 1 / (2 * (k - 1));
  return ((1 + UNIMPORTANT_WEIGHT) * h * h) / 3;
}

/**
 * E[min over n uniform points of (x − x*)²] for x* uniform on [0, 1], by
 * the midpoint rule on a 400 × 400 grid over (t, x*).
 */
export function expectedNearestSquare(n: number): number {
  const m = 400;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const t = (i + 0.5) / m;
    let p = 0;
    for (let j = 0; j < m; j++) {
      const x = (j + 0.5) / m;
      const len = Math.min(1, x + t) - Math.max(0, x - t);
      p += (1 - len) ** n;
    }
    total += 2 * t * (p / m);
  }
  return total / m;
}

/** Bounds on E[best] of n random trials: [nearest x alone, nearest x + w/6]. */
export function expectedRandomBest(n: number): { low: number; high: number } {
  const low = expectedNearestSquare(n);
  return { low, high: low + UNIMPORTANT_WEIGHT / 6 };
}

/** The six decades of [1e-6, 1], as labels and bounds. */
export const DECADES = Array.from({ length: 6 }, (_, d) => ({
  low: 10 ** (d - 6),
  high: 10 ** (d - 5),
  label: `1e-${6 - d}…${d === 5 ? '1' : `1e-${5 - d}`}`,
}));

/** Fractions of `samples` learning rates per decade, for uniform and log-uniform draws. */
export function lrSampling(
  samples: number,
  seed: number,
): { linear: number[]; log: number[]; expectedLinear: number[]; expectedLog: number[] } {
  const lin = space({ lr: uniform(1e-6, 1) });
  const log = space({ lr: logUniform(1e-6, 1) });
  const count = (draw: (i: number) => number) => {
    const c = new Array<number>(DECADES.length).fill(0);
    for (let i = 0; i < samples; i++) {
      const v = draw(i);
      const d = DECADES.findIndex((b) => v >= b.low && v < b.high);
      c[d < 0 ? DECADES.length - 1 : d]++;
    }
    return c.map((n) => n / samples);
  };
  return {
    linear: count((i) => lin.sample(seed, i).lr as number),
    log: count((i) => log.sample(seed, i).lr as number),
    expectedLinear: DECADES.map((b) => (b.high - b.low) / (1 - 1e-6)),
    expectedLog: DECADES.map(() => 1 / DECADES.length),
  };
}
