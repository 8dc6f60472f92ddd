/**
 * `nerve lab` with toy experiments registered by the test (the real ones are
 * @nerve/lab's and have their own tests): listing, running with parameters
 * from the experiment's ParamSpec, the terminal output, --json, --report and
 * the exit codes.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment, LabData } from '@nerve/lab';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/flags.js';
import { runLabCommand } from '../src/lab-command.js';
import { main } from '../src/main.js';
import { capture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-lab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Data loaders the toys never call: a call is a test failure. */
const noData: LabData = {
  digits: () => Promise.reject(new Error('no data in this test')),
  fashionMnist: () => Promise.reject(new Error('no data in this test')),
};

let rises = 0;
const rise: Experiment = {
  id: 'rise',
  title: 'A rising line <b>',
  claim: 'y grows with x.',
  topic: 'toys',
  seed: 11,
  params: {
    n: { type: 'integer', default: 40, quick: 8, min: 2, max: 1000, description: 'points' },
    learningRate: { type: 'number', default: 0.1, min: 0, description: 'slope' },
    act: { type: 'choice', default: 'relu', choices: ['relu', 'tanh'], description: 'activation' },
    centred: { type: 'boolean', default: true, description: 'centre the data' },
  },
  async run(params, ctx) {
    rises++;
    const n = params.n as number;
    const slope = params.learningRate as number;
    ctx.onProgress?.({ fraction: 0.5, message: 'half way' });
    const x = Array.from({ length: n }, (_, i) => i);
    return {
      findings: [
        { statement: 'the line rises', measured: `slope ${slope}`, held: slope > 0 },
        {
          statement: 'parameters arrive',
          measured: `n=${n} act=${params.act} centred=${params.centred} seed=${ctx.seed}`,
          held: true,
        },
      ],
      tables: [
        {
          title: 'Ends',
          columns: ['x', 'y'],
          rows: [
            [0, 0],
            [n - 1, slope * (n - 1)],
          ],
        },
      ],
      figures: [
        {
          kind: 'line',
          id: 'rise',
          title: 'y against x',
          x: { label: 'x' },
          y: { label: 'y' },
          series: [{ name: 'y', x, y: x.map((v) => slope * v) }],
        },
        {
          kind: 'heatmap',
          id: 'cov',
          title: 'Covariance',
          scheme: 'diverging',
          panels: [{ name: 'c', rows: 2, cols: 2, values: [1, 0.5, 0.5, 1] }],
        },
      ],
      notes: ['A note on the result.'],
    };
  },
};

const fails: Experiment = {
  id: 'fails',
  title: 'A claim that does not hold',
  claim: 'Two is three.',
  topic: 'toys',
  seed: 1,
  params: {},
  async run() {
    return {
      findings: [{ statement: 'two is three', measured: '2 ≠ 3', held: false }],
      tables: [],
      figures: [],
    };
  },
};

const broken: Experiment = {
  id: 'broken',
  title: 'An experiment that throws',
  claim: 'Nothing.',
  topic: 'toys',
  seed: 1,
  params: {},
  async run() {
    throw new Error('the toy broke\non two lines');
  },
};

const toys = [rise, fails, broken];

/** Runs `nerve lab <argv>` on the toys; returns the exit code and the captured output. */
async function lab(argv: string[], experiments: readonly Experiment[] = toys) {
  const c = capture();
  const o = {
    out: (s: string) => void c.io.stdout.write(`${s}\n`),
    err: (s: string) => void c.io.stderr.write(`${s}\n`),
    event: (e: object) => void c.io.stdout.write(`${JSON.stringify(e)}\n`),
  };
  const code = await runLabCommand(argv, o, { experiments, data: noData });
  return { code, ...c };
}

describe('nerve lab list', () => {
  it('lists id, topic, title and claim of each experiment, in order', async () => {
    const r = await lab(['list']);
    expect(r.code).toBe(0);
    const out = r.out();
    expect(out).toContain('rise    [toys] A rising line <b>\n        y grows with x.');
    expect(out.indexOf('rise')).toBeLessThan(out.indexOf('fails'));
    const j = await lab(['list', '--json']);
    expect(j.lines()[0].map((e: { id: string }) => e.id)).toEqual(['rise', 'fails', 'broken']);
  });
});

describe('nerve lab run', () => {
  it('prints title, claim, findings, tables and a text plot, with the defaults and seed', async () => {
    const r = await lab(['run', 'rise']);
    expect(r.code).toBe(0);
    const out = r.out();
    expect(out).toContain('A rising line <b> (rise)\nclaim: y grows with x.');
    expect(out).toContain('params: n=40 learningRate=0.1 act=relu centred=true  seed 11');
    expect(out).toContain('✓ the line rises\n    slope 0.1');
    expect(out).toContain('n=40 act=relu centred=true seed=11');
    expect(out).toContain('Ends\n x    y\n──  ───\n 0    0\n39  3.9');
    // The line figure as a text plot: its title, the frame and the points.
    expect(out).toContain('y against x\n');
    expect(out).toMatch(/└─{60}/);
    expect(out).toContain('not drawn here (see --report): Covariance (heatmap)');
    expect(out).toContain('A note on the result.');
    expect(out).toMatch(/the claim held: 2 of 2 findings held \(\d+\.\d s\)/);
  });

  it('takes the parameters as flags (camelCase as kebab-case), --quick and --seed', async () => {
    const r = await lab([
      'run',
      'rise',
      '--n',
      '20',
      '--learning-rate',
      '0.5',
      '--act',
      'tanh',
      '--centred',
      'false',
      '--seed',
      '3',
    ]);
    expect(r.code).toBe(0);
    expect(r.out()).toContain('n=20 act=tanh centred=false seed=3');
    expect(r.out()).toContain('slope 0.5');
    const q = await lab(['run', 'rise', '--quick']);
    expect(q.out()).toContain('n=8 act=relu centred=true seed=11');
    expect(q.out()).toContain('(quick)');
    // A given value beats the quick one.
    expect((await lab(['run', 'rise', '--quick', '--n', '5'])).out()).toContain('n=5 act=relu');
  });

  it('exits 0 and says so clearly when a claim did not hold', async () => {
    const r = await lab(['run', 'fails']);
    expect(r.code).toBe(0);
    expect(r.out()).toContain('✗ two is three\n    2 ≠ 3');
    expect(r.out()).toContain('the claim did NOT hold: 0 of 1 finding held');
  });

  it('refuses bad input before running, with a suggestion', async () => {
    const before = rises;
    await expect(lab(['run', 'rise', '--learnig-rate', '1'])).rejects.toThrow(
      /unknown option '--learnig-rate'; did you mean --learning-rate\?/,
    );
    await expect(lab(['run', 'rise', '--n', '1'])).rejects.toThrow(
      /--n: expected an integer in \[2, 1000\], received '1'/,
    );
    await expect(lab(['run', 'rise', '--act', 'elu'])).rejects.toThrow(
      /--act: expected one of relu, tanh, received 'elu'/,
    );
    await expect(lab(['run', 'rise', '--centred', 'yes'])).rejects.toThrow(
      /--centred: expected one of true, false/,
    );
    await expect(lab(['run', 'rsie'])).rejects.toThrow(/received 'rsie'; did you mean rise\?/);
    await expect(lab(['run'])).rejects.toThrow(UsageError);
    await expect(lab(['runn'])).rejects.toThrow(/unknown subcommand 'runn'; did you mean run\?/);
    await expect(lab(['run', 'rise', '--report', join(dir, 'missing', 'r.html')])).rejects.toThrow(
      /--report: expected a file path in an existing, writable folder/,
    );
    expect(rises).toBe(before);
  });

  it('shows the experiment flags with defaults and quick values under --help', async () => {
    const r = await lab(['run', 'rise', '--help']);
    expect(r.code).toBe(0);
    expect(r.out()).toContain('usage: nerve lab run rise [flags]');
    expect(r.out()).toMatch(/--learning-rate X +slope\n +\(a number ≥ 0; default: 0.1\)/);
    expect(r.out()).toMatch(
      /--n N +points\n +\(an integer in \[2, 1000\]; default: 40; --quick: 8\)/,
    );
  });

  it('prints the LabResult under --json', async () => {
    const r = await lab(['run', 'rise', '--json', '--n', '5']);
    const lines = r.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      id: 'rise',
      params: { n: 5, learningRate: 0.1 },
      seed: 11,
      held: true,
    });
    expect(lines[0].figures[0].series[0].y).toHaveLength(5);
  });

  it('writes a self-contained HTML report atomically', async () => {
    const path = join(dir, 'rise.html');
    const r = await lab(['run', 'rise', '--report', path]);
    expect(r.code).toBe(0);
    expect(r.out()).toContain(`report written to ${path}`);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<title>A rising line &lt;b&gt;</title>');
    expect(html).toContain('y against x');
    expect((html.match(/<figure>/g) ?? []).length).toBe(2);
    expect(html).not.toMatch(/(src|href)\s*=|<script/i);
    // Only the report in the folder: the temporary was renamed.
    expect(readdirSync(dir)).toEqual(['rise.html']);
  });
});

describe('nerve lab all', () => {
  it('runs every experiment, reports a failed run, writes one report and exits 1', async () => {
    const path = join(dir, 'lab.html');
    const r = await lab(['all', '--quick', '--report', path]);
    expect(r.code).toBe(1);
    expect(r.out()).toContain('A rising line <b> (rise)');
    expect(r.out()).toContain('A claim that does not hold (fails)');
    expect(r.err()).toContain('nerve: lab broken failed: the toy broke on two lines');
    expect(r.out()).toMatch(/3 experiments: 1 claim held, 1 did not, 1 failed to run/);
    const summary = r.out().slice(r.out().indexOf('Summary\n')).split('\n');
    const row = (id: string) =>
      summary
        .find((l) => l.startsWith(`${id} `))
        ?.trim()
        .split(/ {2,}/);
    expect(row('rise')?.slice(0, 4)).toEqual(['rise', 'A rising line <b>', 'held', '2 of 2']);
    expect(row('fails')?.slice(0, 4)).toEqual([
      'fails',
      'A claim that does not hold',
      'did NOT hold',
      '0 of 1',
    ]);
    expect(row('broken')).toEqual([
      'broken',
      'An experiment that throws',
      'failed to run',
      '–',
      '–',
    ]);
    const html = readFileSync(path, 'utf8');
    for (const t of ['rise', 'fails', 'broken']) expect(html).toContain(`(${t})</h2>`);
    expect(html).toContain('The run failed: the toy broke on two lines');
    expect(html).toContain('<h2>Summary</h2>');
    expect(html).toContain(
      '<td>fails</td><td>A claim that does not hold</td><td>did NOT hold</td><td>0 of 1</td>',
    );
  });

  it('exits 0 when every run finishes, and prints one JSON result per line under --json', async () => {
    const r = await lab(['all', '--quick', '--json'], [rise, fails]);
    expect(r.code).toBe(0);
    expect(r.lines().map((l) => [l.id, l.held])).toEqual([
      ['rise', true],
      ['fails', false],
    ]);
  });
});

describe('nerve lab through main', () => {
  it('exits 2 on an unknown experiment and lists lab in the general help', async () => {
    const c = capture();
    expect(await main(['lab', 'run', 'no-such-experiment'], c.io)).toBe(2);
    expect(c.err()).toContain('expected an experiment id');
    const h = capture();
    expect(await main(['--help'], h.io)).toBe(0);
    expect(h.out()).toMatch(/\n {2}lab {7}the lecture's claims as experiments/);
    expect(existsSync(join(dir, 'no-such'))).toBe(false);
  });
});
