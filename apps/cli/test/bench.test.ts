/**
 * `nerve bench` in its quick mode on the CPU backend: the JSON Lines carry
 * one result per workload and thread count, then a summary with the host,
 * the load average and every backend; the text output is the table. The
 * rates themselves are not asserted (machines are noisy), but every one must
 * be a positive finite number, and the check values (Σ|C| of the product,
 * the first-step loss) must be identical at 1 and 2 threads: the CPU backend
 * promises bit-identical results across thread counts.
 */
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { BENCH_WORKLOADS, type BenchReport } from '../src/bench-command.js';
import { runCli } from './helpers.js';

describe('nerve bench', () => {
  it('--quick --json: a result per workload and backend, then the summary', async () => {
    const r = await runCli(['bench', '--quick', '--json', '--backends', 'cpu', '--threads', '2']);
    expect(r.err()).toBe('');
    expect(r.code).toBe(0);
    const lines = r.lines();
    const summary = lines.at(-1) as BenchReport & { event: string };
    expect(summary.event).toBe('summary');
    const results = lines.slice(0, -1);
    expect(results.every((l) => l.event === 'result')).toBe(true);
    expect(summary.backends.map((b) => b.id)).toEqual(['cpu-1t', 'cpu-2t']);
    expect(summary.host.cpus).toBeGreaterThan(0);
    expect(summary.loadAverage.before).toHaveLength(3);
    expect(summary.totalSeconds).toBeGreaterThan(0);
    for (const b of summary.backends) {
      expect(b.skipped).toBeUndefined();
      expect(b.results.map((m) => m.workload)).toEqual([...BENCH_WORKLOADS]);
      for (const m of b.results) {
        expect(m.skipped).toBeUndefined();
        expect(m.unit).toBe(m.workload === 'mm1024' ? 'GFLOP/s' : 'steps/s');
        expect(Number.isFinite(m.value) && (m.value as number) > 0).toBe(true);
        expect(m.steps).toBeGreaterThanOrEqual(1);
      }
    }
    // Streamed results are the summary's, in order.
    expect(results.map((l) => `${l.backend} ${l.workload}`)).toEqual(
      summary.backends.flatMap((b) => b.results.map((m) => `${b.id} ${m.workload}`)),
    );
    const [one, two] = summary.backends;
    for (let i = 0; i < BENCH_WORKLOADS.length; i++) {
      expect(two.results[i].check).toBe(one.results[i].check);
    }
  }, 180_000);

  it('prints a table with a row per backend', async () => {
    const r = await runCli(['bench', '--quick', '--backends', 'cpu', '--threads', '1']);
    expect(r.code).toBe(0);
    const out = r.out();
    expect(out).toMatch(/^nerve bench — \d+ CPUs/);
    expect(out).toMatch(/load average before [\d.]+ [\d.]+ [\d.]+, after/);
    expect(out).toMatch(/^backend +matmul 1024³ GFLOP\/s +MLP b128 steps\/s/m);
    // --threads 1 measures one CPU row: no second thread count to compare.
    expect(out).toMatch(/^cpu 1 thread +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/m);
    expect(out).not.toMatch(/^cpu \d+ threads/m);
    // Progress goes to stderr, one line per measurement.
    expect(r.err().trim().split('\n')).toHaveLength(BENCH_WORKLOADS.length);
  }, 180_000);

  it('refuses an unknown backend with a usage error', async () => {
    const r = await runCli(['bench', '--backends', 'cpu,tpu']);
    expect(r.code).toBe(2);
    expect(r.err()).toContain("--backends: expected a list of cpu, webgpu, received 'tpu'");
  });
});
