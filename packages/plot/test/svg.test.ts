import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { Figure } from '../src/figure.js';
import { figureToSvg } from '../src/index.js';
import { allFigures, bars, heatmaps, histograms, ladder, lineLog, scatter } from './figures.js';
import { type XmlElement, byAriaLabel, descendants, parseXml, textOf } from './xml.js';

/** The names a figure must show: title, axis labels, series, groups or panels. */
function namesOf(fig: Figure): string[] {
  switch (fig.kind) {
    case 'line':
      return [
        fig.title,
        fig.x.label,
        fig.y.label,
        ...fig.series.map((s) => s.name),
        ...(fig.bands ?? []).map((b) => b.label),
      ];
    case 'scatter':
      return [fig.title, fig.x.label, fig.y.label, ...fig.groups.map((g) => g.name)];
    case 'histogram':
      return [fig.title, fig.x.label, ...fig.panels.map((p) => p.name)];
    case 'bar':
      return [fig.title, fig.y.label, ...fig.categories, ...fig.series.map((s) => s.name)];
    case 'heatmap':
      return [fig.title, ...fig.panels.map((p) => p.name)];
  }
}

/** x positions of an axis's tick labels, with their text. */
function ticks(svg: XmlElement, axis: 'x' | 'y'): { at: number; label: string }[] {
  const groups = byAriaLabel(svg, `${axis}-axis tick label`);
  expect(groups.length).toBeGreaterThan(0);
  return descendants(groups[0] as XmlElement)
    .filter((e) => e.name === 'text')
    .map((e) => {
      const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(e.attrs.transform ?? '');
      expect(m).not.toBeNull();
      return { at: Number(m?.[axis === 'x' ? 1 : 2]), label: textOf(e) };
    });
}

describe('xml check used by these tests', () => {
  it('rejects what is not well-formed XML (so the tests below can fail)', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow(/does not close/);
    expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/bad entity/);
    expect(() => parseXml('<svg a="<"/>')).toThrow(/bad attribute/);
    expect(() => parseXml('<svg/><svg/>')).toThrow(/second root/);
    expect(textOf(parseXml('<svg><text>a &amp; &lt;b&gt; &#955;</text></svg>'))).toBe('a & <b> λ');
  });
});

describe('figureToSvg', () => {
  it.each(
    allFigures.map((f) => [`${f.kind} ${f.id}`, f] as const),
  )('%s: a standalone SVG document showing its names, with no external URL', (_, fig) => {
    const svg = figureToSvg(fig);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(Number(root.attrs.width)).toBe(640);
    expect(Number(root.attrs.height)).toBeGreaterThan(100);
    const text = textOf(root);
    for (const name of namesOf(fig)) expect(text).toContain(name);
    // The title element first: what screen readers and tooltips show.
    const first = root.children.find((c) => typeof c !== 'string');
    expect(first && typeof first !== 'string' ? [first.name, textOf(first)] : []).toEqual([
      'title',
      fig.title,
    ]);
    // The only URL is the namespace name on the root; nothing is fetched.
    expect(svg.replace(root.attrs.xmlns ?? '', '')).not.toMatch(
      /https?:|href=|src=|@import|url\((?!#)/,
    );
  });

  it('puts a log axis on powers of ten, evenly spaced', () => {
    const root = parseXml(figureToSvg(ladder));
    const xs = ticks(root, 'x');
    expect(xs.map((t) => t.label)).toEqual(['1e-6', '1e-4', '0.01', '1', '100']);
    // Equal pixel steps per decade: the mark of a log scale (a linear one
    // would crowd 1e-6 … 0.01 into the first 0.01% of the axis).
    const steps = xs.slice(1).map((t, i) => t.at - (xs[i] as { at: number }).at);
    // Positions are rounded to 1/100 px, so a step is off by at most 0.01 px.
    for (const s of steps)
      expect(Math.abs(s - (steps[0] as number))).toBeLessThanOrEqual(0.02 + 1e-9);
    expect(steps[0]).toBeGreaterThan(50);
  });

  it('puts an integer axis (epochs) on whole numbers only', () => {
    const epochs = (n: number, integer: boolean): Figure => ({
      kind: 'line',
      id: 'epochs',
      title: 'Loss per epoch',
      x: { label: 'epoch', integer },
      y: { label: 'loss' },
      series: [{ name: 'train', x: [1, 2, 3].map((e) => (e * n) / 3), y: [1, 0.5, 0.3] }],
    });
    // Three epochs: Plot's own ticks would be 1, 1.2, …, 3 (or 1.5, 2.5).
    const plain = ticks(parseXml(figureToSvg(epochs(3, false))), 'x').map((t) => Number(t.label));
    expect(plain.some((v) => !Number.isInteger(v))).toBe(true);
    const whole = ticks(parseXml(figureToSvg(epochs(3, true))), 'x').map((t) => Number(t.label));
    expect(whole).toEqual([1, 2, 3]);
    // 300 epochs: steps of 1, 2 or 5 × 10^k, at most about 8 ticks.
    const many = ticks(parseXml(figureToSvg(epochs(300, true))), 'x').map((t) => Number(t.label));
    expect(many).toEqual([100, 150, 200, 250, 300]);
  });

  it('leaves series marked legend: false out of the legend, and draws them in grey', () => {
    const fig: Figure = {
      kind: 'line',
      id: 'trials',
      title: 'Trials',
      x: { label: 'epoch' },
      y: { label: 'accuracy' },
      series: [
        { name: 'trial seven', x: [1, 2], y: [0.2, 0.3], legend: false },
        { name: 'trial one', x: [1, 2], y: [0.5, 0.9] },
      ],
    };
    const svg = figureToSvg(fig);
    const text = textOf(parseXml(svg));
    expect(text).toContain('trial one');
    expect(text).not.toContain('trial seven');
    // Both are drawn: the unlisted one in grey.
    const lines = byAriaLabel(parseXml(svg), 'line');
    expect(descendants(lines[0] as XmlElement).filter((e) => e.name === 'path')).toHaveLength(2);
    expect(svg).toContain('#c4c4c4');
  });

  it('draws one dot per point on a points figure, and one path per series on a line figure', () => {
    expect(
      descendants(byAriaLabel(parseXml(figureToSvg(ladder)), 'dot')[0] as XmlElement).filter(
        (e) => e.name === 'circle',
      ),
    ).toHaveLength(9);
    const lines = byAriaLabel(parseXml(figureToSvg(lineLog)), 'line');
    expect(descendants(lines[0] as XmlElement).filter((e) => e.name === 'path')).toHaveLength(2);
  });

  it('notes values a log axis cannot show instead of failing', () => {
    const fig: Figure = { ...lineLog, series: [{ name: 'a', x: [1, 2, 3], y: [1, 0, -2] }] };
    expect(textOf(parseXml(figureToSvg(fig)))).toContain(
      '2 non-positive values left off the log y axis',
    );
  });

  it('draws every histogram bin as a bar and every heat-map value as a cell', () => {
    const h = parseXml(figureToSvg(histograms));
    const rects = byAriaLabel(h, 'rect').map(
      (g) => descendants(g).filter((e) => e.name === 'rect').length,
    );
    expect(rects).toEqual([10, 10, 10, 10]);
    const c = parseXml(figureToSvg(heatmaps));
    const cells = byAriaLabel(c, 'cell').map(
      (g) => descendants(g).filter((e) => e.name === 'rect').length,
    );
    expect(cells).toEqual([4, 4]);
    expect(textOf(c)).toContain('1.5');
  });

  it('groups bars: one bar per category and series', () => {
    const b = parseXml(figureToSvg(bars));
    const n = byAriaLabel(b, 'bar').flatMap((g) =>
      descendants(g).filter((e) => e.name === 'rect'),
    ).length;
    expect(n).toBe(6);
  });

  it('writes large histogram counts in SI form and fractions as they are', () => {
    const panel = (name: string, counts: number[]) => ({ name, edges: [0, 1, 2, 3], counts });
    const big = figureToSvg({ ...histograms, panels: [panel('a', [40000, 20000, 5])] });
    expect(big).toMatch(/>40k</);
    expect(big).toMatch(/>0</);
    expect(big).not.toMatch(/>0k</);
    const small = figureToSvg({ ...histograms, panels: [panel('a', [0.7, 0.2, 0.1])] });
    expect(small).not.toMatch(/\d+m</);
    expect(small).toMatch(/>0\.6</);
  });

  it('draws bars on a log axis too, the smallest one included', () => {
    const fig = {
      ...bars,
      y: { label: 'gradient norm', log: true },
      series: [{ name: 'g', values: [4.7e-4, 0.25, 0.26] }],
    };
    const b = parseXml(figureToSvg(fig));
    const rects = byAriaLabel(b, 'bar').flatMap((g) =>
      descendants(g).filter((e) => e.name === 'rect'),
    );
    expect(rects).toHaveLength(3);
    for (const r of rects) expect(Number(r.attrs.height)).toBeGreaterThan(1);
  });

  it('keeps equal units on both axes of a square scatter', () => {
    const root = parseXml(figureToSvg({ ...scatter, facet: false }));
    const scale = (axis: 'x' | 'y') => {
      const t = ticks(root, axis).map((k) => ({ at: k.at, v: Number(k.label.replace('−', '-')) }));
      const a = t[0] as { at: number; v: number };
      const b = t[t.length - 1] as { at: number; v: number };
      const units = Math.abs(b.v - a.v);
      return { perUnit: Math.abs(b.at - a.at) / units, units };
    };
    const x = scale('x');
    const y = scale('y');
    // Tick positions are rounded to 1/100 px: a distance is off by at most 0.01 px.
    expect(Math.abs(x.perUnit - y.perUnit)).toBeLessThanOrEqual(0.01 / x.units + 0.01 / y.units);
    expect(x.perUnit).toBeGreaterThan(10);
  });

  it('escapes names with markup characters', () => {
    const fig: Figure = {
      ...lineLog,
      title: 'a <script>alert("x")</script> & b',
      series: [{ name: '<b>"q"</b>', x: [1, 2], y: [1, 2] }],
    };
    const svg = figureToSvg(fig);
    expect(svg).not.toContain('<script>');
    const text = textOf(parseXml(svg));
    expect(text).toContain('a <script>alert("x")</script> & b');
    expect(text).toContain('<b>"q"</b>');
  });

  it('draws in the document it is given', () => {
    const { document } = parseHTML('<!DOCTYPE html><html><body></body></html>');
    let made = 0;
    const make = document.createElementNS.bind(document);
    document.createElementNS = ((ns: string, name: string) => {
      made++;
      return make(ns, name);
    }) as typeof document.createElementNS;
    const svg = figureToSvg(bars, { document: document as unknown as Document, width: 400 });
    expect(made).toBeGreaterThan(10);
    expect(parseXml(svg).attrs.width).toBe('400');
  });

  it('refuses malformed figures with the field named', () => {
    const bad = { ...lineLog, series: [{ name: 'a', x: [1, 2], y: [1] }] } as Figure;
    expect(() => figureToSvg(bad)).toThrow(
      /figureToSvg \(figure 'loss'\): expected x and y of equal length in series 'a', received 2 and 1/,
    );
    expect(() => figureToSvg({ kind: 'pie' } as unknown as Figure)).toThrow(
      /a figure kind \(one of line, histogram/,
    );
    expect(() =>
      figureToSvg({
        ...histograms,
        panels: [{ name: 'p', edges: [0, 1], counts: [1, 2] }],
      } as Figure),
    ).toThrow(/counts.length \+ 1 edges/);
    expect(() => figureToSvg(lineLog, { width: 50 })).toThrow(/a width of at least 200 pixels/);
  });
});
