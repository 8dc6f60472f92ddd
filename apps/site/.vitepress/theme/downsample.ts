/**
 * A drawn digit as the UCI digits store one: the canvas's brightness
 * averaged over an 8×8 grid and scaled to integers 0..16. UCI's digits are
 * 32×32 bitmaps counted in 4×4 blocks, so a pixel is the number of inked
 * cells of its block (0..16): averaging the ink over the block and scaling
 * by 16 is the same measure. The drawing is first cropped to its bounding
 * box and centred in a square, as the scanned digits fill their box. Returns null for an empty canvas.
 */
export function downsample(
  rgba: Uint8ClampedArray,
  width: number,
  height: number,
): number[] | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[4 * (y * width + x)] > 32) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  // A square box around the ink, centred: the height fills the 8 rows, as in
  // UCI's digits (whose mean images use every row but rarely the edge columns).
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1) * 1.05;
  const cx = (x0 + x1 + 1) / 2;
  const cy = (y0 + y1 + 1) / 2;
  const out: number[] = [];
  const sub = 4; // samples per cell per axis
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      let sum = 0;
      for (let i = 0; i < sub; i++) {
        for (let j = 0; j < sub; j++) {
          const sx = Math.floor(cx - side / 2 + ((c + (j + 0.5) / sub) * side) / 8);
          const sy = Math.floor(cy - side / 2 + ((r + (i + 0.5) / sub) * side) / 8);
          if (sx >= 0 && sy >= 0 && sx < width && sy < height)
            sum += rgba[4 * (sy * width + sx)] / 255;
        }
      }
      out.push(Math.round((16 * sum) / (sub * sub)));
    }
  }
  return out;
}
