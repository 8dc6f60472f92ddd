/** The smallest multiple of `to` that is ≥ x (tile, panel and alignment padding). */
export function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
