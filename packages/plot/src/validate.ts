/**
 * Checks a figure before anything is drawn: a known kind, matching array
 * lengths, numbers where numbers go. Figures come from experiments and
 * JSON files, so a wrong shape fails here with the figure's id and the
 * field named, not deep inside Observable Plot.
 */
import { NerveError, describeValue } from '@nerve/core';
import type { Figure } from './figure.js';

const KINDS = ['line', 'histogram', 'scatter', 'bar', 'heatmap'];

function isNumberArray(a: unknown): a is number[] {
  return Array.isArray(a) && a.every((v) => typeof v === 'number');
}

/** Throws a NerveError naming `op`, the figure and the field when `fig` is not a drawable Figure. */
export function checkFigure(op: string, fig: unknown): asserts fig is Figure {
  if (typeof fig !== 'object' || fig === null) {
    throw new NerveError(op, 'a figure object', describeValue(fig));
  }
  const f = fig as Record<string, unknown>;
  if (!KINDS.includes(f.kind as string)) {
    throw new NerveError(op, `a figure kind (one of ${KINDS.join(', ')})`, describeValue(f.kind));
  }
  const where = `${op} (figure '${String(f.id)}')`;
  if (typeof f.title !== 'string')
    throw new NerveError(where, 'a string title', describeValue(f.title));
  // `received` is either a description already (a string) or the bad value itself.
  const need = (cond: boolean, expected: string, received: unknown) => {
    if (!cond) {
      throw new NerveError(
        where,
        expected,
        typeof received === 'string' ? received : describeValue(received),
      );
    }
  };
  const figure = fig as Figure;
  switch (figure.kind) {
    case 'line':
      need(Array.isArray(figure.series), 'series as an array', figure.series);
      for (const s of figure.series) {
        need(isNumberArray(s.x) && isNumberArray(s.y), `numeric x and y in series '${s.name}'`, s);
        need(
          s.x.length === s.y.length,
          `x and y of equal length in series '${s.name}'`,
          `${s.x.length} and ${s.y.length}`,
        );
      }
      break;
    case 'scatter':
      need(Array.isArray(figure.groups), 'groups as an array', figure.groups);
      for (const g of figure.groups) {
        need(isNumberArray(g.x) && isNumberArray(g.y), `numeric x and y in group '${g.name}'`, g);
        need(
          g.x.length === g.y.length,
          `x and y of equal length in group '${g.name}'`,
          `${g.x.length} and ${g.y.length}`,
        );
      }
      break;
    case 'histogram':
      need(Array.isArray(figure.panels), 'panels as an array', figure.panels);
      for (const p of figure.panels) {
        need(
          isNumberArray(p.edges) && isNumberArray(p.counts),
          `numeric edges and counts in '${p.name}'`,
          p,
        );
        need(
          p.edges.length === p.counts.length + 1,
          `counts.length + 1 edges in '${p.name}'`,
          `${p.edges.length} edges for ${p.counts.length} counts`,
        );
      }
      break;
    case 'bar':
      need(Array.isArray(figure.categories), 'categories as an array', figure.categories);
      need(Array.isArray(figure.series), 'series as an array', figure.series);
      for (const s of figure.series) {
        need(isNumberArray(s.values), `numeric values in series '${s.name}'`, s.values);
        need(
          s.values.length === figure.categories.length,
          `one value per category in series '${s.name}'`,
          `${s.values.length} values for ${figure.categories.length} categories`,
        );
      }
      break;
    case 'heatmap':
      need(Array.isArray(figure.panels), 'panels as an array', figure.panels);
      for (const p of figure.panels) {
        need(
          Number.isInteger(p.rows) && p.rows > 0 && Number.isInteger(p.cols) && p.cols > 0,
          `positive integer rows and cols in '${p.name}'`,
          `${p.rows}×${p.cols}`,
        );
        need(
          isNumberArray(p.values) && p.values.length === p.rows * p.cols,
          `rows × cols = ${p.rows * p.cols} values in '${p.name}'`,
          Array.isArray(p.values) ? `${p.values.length} values` : p.values,
        );
      }
      break;
  }
}
