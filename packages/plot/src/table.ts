/** Tables for terminals: aligned columns, numbers right-aligned in at most 4 significant digits. */
import { NerveError, describeValue } from '@nerve/core';
import type { Table } from './figure.js';
import { formatNumber } from './format.js';

/** A table cell as text: numbers through formatNumber, null as an en dash. */
export function formatCell(v: string | number | null): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

/** Checks a table's shape: columns, and rows of at most that many cells. */
export function checkTable(op: string, table: Table): void {
  if (
    typeof table !== 'object' ||
    table === null ||
    !Array.isArray(table.columns) ||
    !Array.isArray(table.rows)
  ) {
    throw new NerveError(op, 'a table with columns and rows', describeValue(table));
  }
  for (const [i, row] of table.rows.entries()) {
    if (!Array.isArray(row) || row.length > table.columns.length) {
      throw new NerveError(
        op,
        `rows of at most ${table.columns.length} cells`,
        `row ${i}: ${describeValue(row)}`,
      );
    }
  }
}

/**
 * A table as monospaced text: the title, a header, a rule, and one line per
 * row; a column of numbers is right-aligned, any other column left-aligned.
 */
export function formatTable(table: Table): string {
  checkTable('formatTable', table);
  const cells = table.rows.map((r) => table.columns.map((_, j) => formatCell(r[j] ?? null)));
  const numeric = table.columns.map(
    (_, j) =>
      table.rows.some((r) => typeof r[j] === 'number') &&
      table.rows.every((r) => typeof r[j] === 'number' || r[j] == null),
  );
  const widths = table.columns.map((c, j) =>
    Math.max(c.length, ...cells.map((r) => (r[j] as string).length)),
  );
  const line = (r: string[]) =>
    r
      .map((s, j) => (numeric[j] ? s.padStart(widths[j] as number) : s.padEnd(widths[j] as number)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  if (table.title) out.push(table.title);
  out.push(line(table.columns), widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of cells) out.push(line(r));
  return out.join('\n');
}
