import { describe, expect, it } from 'vitest';
import type { Report } from '../src/figure.js';
import { escapeHtml, htmlReport } from '../src/index.js';
import { bars, heatmaps, ladder, lineLog } from './figures.js';
import { parseXml } from './xml.js';

const report: Report = {
  title: 'Lab <script>alert(1)</script>',
  subtitle: 'quick & dirty',
  sections: [
    {
      heading: 'init-depth <i>',
      text: ['Small weights <b>collapse</b> the activations.'],
      findings: [
        { statement: 'std collapses by layer 10', measured: 'std 3e-7 < 1e-5', held: true },
        { statement: 'He keeps std near 1', measured: 'std 0.41', held: false },
      ],
      tables: [
        {
          title: 'Per layer',
          columns: ['layer', 'std'],
          rows: [
            [1, 0.21],
            [10, 3e-7],
          ],
        },
      ],
      figures: [{ ...lineLog, caption: 'Loss & <accuracy>' }, ladder],
    },
    { heading: 'batchnorm', figures: [bars, heatmaps] },
  ],
};

describe('htmlReport', () => {
  const html = htmlReport(report, { footer: 'nerve lab all --quick' });

  it('is one complete page with no external URL and no script', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?[^"'\s>]*http/i);
    expect(html).not.toMatch(/(src|href)\s*=/i);
    expect(html).not.toMatch(/<script|<link|@import|url\(http/i);
    expect(html).toContain('<style>');
  });

  it('escapes all text', () => {
    expect(html).toContain('<title>Lab &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<h1>Lab &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('quick &amp; dirty');
    expect(html).toContain('Small weights &lt;b&gt;collapse&lt;/b&gt; the activations.');
    expect(html).toContain('<figcaption>Loss &amp; &lt;accuracy&gt;</figcaption>');
    expect(html).not.toContain('<b>');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('lists findings as held ✓ or failed ✗ with what was measured, and counts them', () => {
    expect(html).toContain('<p class="summary failed">1 of 2 findings held.</p>');
    expect(html).toMatch(
      /<li class="held"><span class="mark">✓<\/span>std collapses by layer 10<span class="measured">std 3e-7 &lt; 1e-5<\/span><\/li>/,
    );
    expect(html).toMatch(/<li class="failed"><span class="mark">✗<\/span>He keeps std near 1/);
  });

  it('writes tables with numbers formatted and right-aligned', () => {
    expect(html).toContain(
      '<caption>Per layer</caption><thead><tr><th>layer</th><th>std</th></tr></thead>',
    );
    expect(html).toContain('<tr><td class="num">10</td><td class="num">3e-7</td></tr>');
  });

  it('inlines every figure as a well-formed SVG', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>(?=<figcaption|<\/figure>)/g) ?? [];
    expect(svgs).toHaveLength(4);
    for (const s of svgs) expect(parseXml(s).name).toBe('svg');
    // Figures take the page's column width.
    expect(svgs[0]).toMatch(/^<svg[^>]* width="880"/);
  });

  it('refuses what is not a report', () => {
    expect(() => htmlReport({ title: 't' } as unknown as Report)).toThrow(
      /htmlReport: expected a report with a title and sections/,
    );
  });
});
