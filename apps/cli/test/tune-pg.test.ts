/**
 * `nerve tune --storage postgresql://…` against a real throwaway server (the
 * tune package's test cluster): Ctrl-C while the database is away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgCluster, postgresBin, startCluster } from '../../../test/helpers/pg-cluster.js';
import { runCli } from './helpers.js';
import { nerveLines, startNerve, waitFor } from './spawn-nerve.js';

const installed = postgresBin() !== null;
if (!installed) console.warn('apps/cli: PostgreSQL tests skipped: PostgreSQL is not installed');

describe.skipIf(!installed)('nerve tune --storage postgresql://', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 180_000);
  afterAll(() => cluster?.stop(), 60_000);

  // What `nerve tune show --json` says of trial `id`.
  const trial = async (study: string, id: number) => {
    const shown = await runCli([
      'tune',
      'show',
      '--storage',
      cluster.url(),
      '--study',
      study,
      '--json',
    ]);
    expect(shown.code, shown.err()).toBe(0);
    const t = JSON.parse(shown.out()).trials[id];
    return { state: t.state as string, worker: t.worker as string | null };
  };

  it('Ctrl-C with the database away: the trial is given back once it returns; a second Ctrl-C exits at once', async () => {
    const argv = ['tune', '--storage', cluster.url(), '--study', 'away', '--trials', '2'];
    const started = (err: string) => Number(/trial +(\d+) started on cpu/.exec(err)?.[1] ?? -1);

    // 1. Server stopped, Ctrl-C: the worker keeps retrying the release; the server comes back
    //    and the trial is queued again, then the worker exits 130.
    const a = startNerve([...argv, '--epochs', '20']);
    await waitFor(() => started(a.out()) >= 0, 'a trial started', a);
    const heldA = started(a.out());
    cluster.pause();
    a.child.kill('SIGINT');
    // Still running: it has not given the trial back yet (the server is down).
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.child.exitCode).toBeNull();
    cluster.resume();
    const endA = await a.exited;
    expect(endA.code, a.err()).toBe(130);
    expect(nerveLines(a.err())).toEqual([
      expect.stringMatching(
        new RegExp(`^nerve: interrupted \\(SIGINT\\); trial ${heldA} went back`),
      ),
    ]);
    expect((await trial('away', heldA)).state).toBe('queued');

    // 2. Server stopped, Ctrl-C twice: the second exits at once without giving the trial back
    //    (it stays running until its heartbeat goes stale), not after the storage's 2-minute retries.
    const b = startNerve([...argv, '--epochs', '20']);
    await waitFor(() => started(b.out()) >= 0, 'a trial started', b);
    const heldB = started(b.out());
    cluster.pause();
    try {
      b.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 1000));
      expect(b.child.exitCode).toBeNull();
      const second = performance.now();
      b.child.kill('SIGINT');
      const endB = await b.exited;
      expect(endB.code, b.err()).toBe(130);
      // "At once": well under the release's retry window (2 minutes); a generous bound for a
      // loaded machine, where the event loop may finish a 100 ms slice of a batch first.
      expect(endB.at - second).toBeLessThan(10_000);
      expect(nerveLines(b.err())).toEqual([
        expect.stringMatching(
          /^nerve: interrupted again; exiting without giving the running trial back/,
        ),
      ]);
      console.log(
        `tune double Ctrl-C test: second SIGINT to exit ${Math.round(endB.at - second)} ms`,
      );
    } finally {
      cluster.resume();
    }
    const t = await trial('away', heldB);
    expect(t.state).toBe('running');
    expect(t.worker).toMatch(new RegExp(`:${b.child.pid}:cpu$`));
  }, 600_000);
});
