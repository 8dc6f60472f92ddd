/**
 * How `nerve lab` shows a result: in the terminal (title, claim, findings
 * ✓/✗, tables, text plots) and as sections of the HTML report.
 */
import type { LabResult } from '@nerve/lab';
import {
  type Figure,
  type Report,
  type ReportSection,
  formatNumber,
  formatTable,
  textPlot,
} from '@nerve/plot';

/** The kinds drawn in the terminal; the others are named and left to --report. */
const TEXT_KINDS: readonly Figure['kind'][] = ['line', 'histogram', 'bar'];

/** Parameter values as `name=value` pairs. */
export function formatParams(r: LabResult): string {
  const ps = Object.entries(r.params).map(
    ([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`,
  );
  return `${ps.join(' ') || '(no parameters)'}  seed ${r.seed}${r.quick ? '  (quick)' : ''}`;
}

/** One line saying whether the claim held. */
export function verdict(r: LabResult): string {
  const held = r.findings.filter((f) => f.held).length;
  const n = r.findings.length;
  const what = r.held ? 'the claim held' : 'the claim did NOT hold';
  return `${what}: ${held} of ${n} finding${n === 1 ? '' : 's'} held (${r.seconds.toFixed(1)} s)`;
}

/** A finished run for the terminal. */
export function formatLabResult(r: LabResult): string {
  const lines = [`${r.title} (${r.id})`, `claim: ${r.claim}`, `params: ${formatParams(r)}`, ''];
  for (const f of r.findings)
    lines.push(`${f.held ? '✓' : '✗'} ${f.statement}`, `    ${f.measured}`);
  for (const t of r.tables) lines.push('', formatTable(t));
  const skipped: string[] = [];
  for (const fig of r.figures) {
    if (TEXT_KINDS.includes(fig.kind)) lines.push('', textPlot(fig));
    else skipped.push(`${fig.title} (${fig.kind})`);
  }
  if (skipped.length > 0) lines.push('', `not drawn here (see --report): ${skipped.join('; ')}`);
  for (const n of r.notes ?? []) lines.push('', n);
  lines.push('', verdict(r));
  return lines.join('\n');
}

/** One report section per result. */
export function labSection(r: LabResult): ReportSection {
  return {
    heading: `${r.title} (${r.id})`,
    text: [
      `Claim: ${r.claim}`,
      `Parameters: ${formatParams(r)}.`,
      `${verdict(r).replace(/^t/, 'T')}.`,
      ...(r.notes ?? []),
    ],
    findings: r.findings,
    tables: r.tables,
    figures: r.figures,
  };
}

/** A section for an experiment that failed to run. */
export function failedSection(id: string, title: string, message: string): ReportSection {
  return {
    heading: `${title} (${id})`,
    text: [`The run failed: ${message}`],
    findings: [{ statement: 'the experiment runs to the end', measured: message, held: false }],
  };
}

/** The whole report: one experiment, or the lab. */
export function labReport(title: string, command: string, sections: ReportSection[]): Report {
  return { title, subtitle: `nerve ${command}`, sections };
}
