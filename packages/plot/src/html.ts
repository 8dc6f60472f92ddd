/**
 * Reports as one self-contained HTML page: inline SVG figures, a small
 * inline stylesheet, no script and no external URL, so the file can be
 * mailed, archived or opened offline and shows the same thing everywhere.
 */
import { NerveError, describeValue } from '@nerve/core';
import type { Finding, Report, ReportSection, Table } from './figure.js';
import { figureToSvg, type SvgOptions } from './svg.js';
import { checkTable, formatCell } from './table.js';

/** Options of htmlReport: how figures are drawn. */
export interface HtmlReportOptions extends SvgOptions {
  /** A line at the bottom of the page (e.g. the command that made it). */
  footer?: string;
}

/** Figures fill the page's 880-pixel column unless a width is given. */
const REPORT_WIDTH = 880;

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  color: #1a1a1a; background: #fafafa; margin: 0; line-height: 1.45; overflow-wrap: break-word; }
main { max-width: 880px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 8px; padding-top: 12px; border-top: 1px solid #ddd; }
.subtitle { color: #555; margin: 0 0 8px; }
.summary { font-weight: 600; }
.summary.held, .findings .held .mark { color: #1a7f37; }
.summary.failed, .findings .failed .mark { color: #cf222e; }
.findings { list-style: none; padding: 0; margin: 8px 0; }
.findings li { margin: 4px 0; padding: 6px 10px; background: white; border: 1px solid #e3e3e3; border-radius: 6px; }
.findings .mark { font-weight: 700; display: inline-block; width: 1.2em; }
.findings .measured { color: #555; display: block; margin-left: 1.2em; font-size: 0.92em; }
/* Wide tables (a study's every parameter) scroll inside the column instead of overflowing it. */
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 12px 0; background: white; font-size: 0.92em; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f0f0f0; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 16px 0; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid #e3e3e3; border-radius: 6px; }
figcaption { color: #555; font-size: 0.92em; margin-top: 4px; }
footer { color: #777; font-size: 0.85em; margin-top: 40px; }
`;

function findingsHtml(findings: Finding[]): string {
  const items = findings.map((f) => {
    const cls = f.held ? 'held' : 'failed';
    return `<li class="${cls}"><span class="mark">${f.held ? '✓' : '✗'}</span>${escapeHtml(f.statement)}<span class="measured">${escapeHtml(f.measured)}</span></li>`;
  });
  return `<ul class="findings">${items.join('')}</ul>`;
}

function tableHtml(t: Table): string {
  checkTable('htmlReport', t);
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => {
      const cells = t.columns.map((_, j) => {
        const v = r[j] ?? null;
        return `<td${typeof v === 'number' ? ' class="num"' : ''}>${escapeHtml(formatCell(v))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('');
  const caption = t.title ? `<caption>${escapeHtml(t.title)}</caption>` : '';
  return `<div class="table-wrap"><table>${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function sectionHtml(s: ReportSection, opts: HtmlReportOptions): string {
  const parts = [`<section><h2>${escapeHtml(s.heading)}</h2>`];
  for (const p of s.text ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
  if (s.findings && s.findings.length > 0) parts.push(findingsHtml(s.findings));
  for (const t of s.tables ?? []) parts.push(tableHtml(t));
  for (const f of s.figures ?? []) {
    const svg = figureToSvg(f, opts);
    const caption = f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>` : '';
    parts.push(`<figure>${svg}${caption}</figure>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/**
 * A report as a complete HTML document: title, subtitle, how many findings
 * held, then each section's text, findings (✓ held / ✗ did not, with what
 * was measured), tables and figures. All text is escaped.
 */
export function htmlReport(report: Report, opts: HtmlReportOptions = {}): string {
  if (
    typeof report !== 'object' ||
    report === null ||
    typeof report.title !== 'string' ||
    !Array.isArray(report.sections)
  ) {
    throw new NerveError('htmlReport', 'a report with a title and sections', describeValue(report));
  }
  const all = report.sections.flatMap((s) => s.findings ?? []);
  const held = all.filter((f) => f.held).length;
  const summary =
    all.length === 0
      ? ''
      : `<p class="summary ${held === all.length ? 'held' : 'failed'}">${held} of ${all.length} finding${all.length === 1 ? '' : 's'} held.</p>`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(report.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    `<h1>${escapeHtml(report.title)}</h1>`,
    report.subtitle ? `<p class="subtitle">${escapeHtml(report.subtitle)}</p>` : '',
    summary,
    ...report.sections.map((s) => sectionHtml(s, { ...opts, width: opts.width ?? REPORT_WIDTH })),
    opts.footer ? `<footer>${escapeHtml(opts.footer)}</footer>` : '',
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
