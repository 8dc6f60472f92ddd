/** A pointer event's position in a canvas's own pixels (its width and height), whatever its CSS size. */
export function canvasPoint(c: HTMLCanvasElement, ev: PointerEvent): [number, number] {
  const r = c.getBoundingClientRect();
  return [
    ((ev.clientX - r.left) * c.width) / r.width,
    ((ev.clientY - r.top) * c.height) / r.height,
  ];
}
