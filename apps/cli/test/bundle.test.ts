/**
 * The bundled CLI is one file (plus its tune worker entry) that runs with plain
 * `node` outside the monorepo, where no workspace package can be resolved; the
 * digits data are embedded in it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');
const outside = mkdtempSync(join(tmpdir(), 'nerve-bundle-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe('bundled CLI', () => {
  it('builds and trains from a folder outside the repository', () => {
    execFileSync(process.execPath, [join(cli, 'scripts', 'bundle.mjs')], {
      cwd: cli,
      stdio: 'pipe',
    });
    cpSync(join(cli, 'dist'), join(outside, 'dist'), { recursive: true });
    // Only the bundle's own files: no assets/ folder, no node_modules anywhere above.
    expect(readdirSync(outside)).toEqual(['dist']);
    expect(readdirSync(join(outside, 'dist')).sort()).toEqual([
      'nerve.mjs',
      'package.json',
      'worker.js',
    ]);
    const out = execFileSync(
      process.execPath,
      [join(outside, 'dist', 'nerve.mjs'), 'train', '--epochs', '2', '--json'],
      {
        cwd: outside,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      },
    );
    // JSON Lines: one event per epoch, the summary last.
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const r = JSON.parse(lines[2]);
    expect(r.event).toBe('summary');
    expect(r.epochs).toBe(2);
    expect(r.testAccuracy).toBeGreaterThan(0.9);
  });

  it('writes a train report from the copy (the SVG renderer and its DOM are in the bundle)', () => {
    execFileSync(
      process.execPath,
      [join(outside, 'dist', 'nerve.mjs'), 'train', '--epochs', '1', '--report', 'run.html'],
      { cwd: outside, stdio: 'pipe' },
    );
    const html = readFileSync(join(outside, 'run.html'), 'utf8');
    expect(html).toContain('Update/weight ratio per layer');
    expect(html).toMatch(/<figure><svg[\s>]/);
  });

  it('prints the @nerve/cli version, baked in at bundle time', () => {
    const { version } = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'));
    const out = execFileSync(process.execPath, [join(outside, 'dist', 'nerve.mjs'), '--version'], {
      cwd: outside,
      encoding: 'utf8',
    });
    expect(out).toBe(`${version}\n`);
  });

  it('runs tune with two worker threads from the copy (the worker entry sits beside the bundle)', () => {
    const out = execFileSync(
      process.execPath,
      [join(outside, 'dist', 'nerve.mjs'), 'tune', '--workers', '2', '--trials', '2'],
      { cwd: outside, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
    expect(out).toMatch(/2 trials, 2 worker\(s\)/);
    const done = out.split('\n').filter((l) => /^trial\s+\d+ completed valLoss \d/.test(l));
    expect(done).toHaveLength(2);
    expect(out).toMatch(/^best: trial \d, valLoss \d/m);
  });

  it('exits with 2 on a bad flag', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(
        process.execPath,
        [join(outside, 'dist', 'nerve.mjs'), 'train', '--epochs', 'many'],
        {
          cwd: outside,
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
        },
      );
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/--epochs: expected an integer/);
  });
});
