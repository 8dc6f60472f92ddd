/**
 * Storage overhead per trial, measured: a trivial objective (one report, no
 * sleep) run through runStudyWorker against a throwaway PostgreSQL cluster
 * and a JSON-lines file, with 1 and 4 workers in one process (each worker its
 * own connection or file handle). Process start-up is not included; run.ts
 * (pnpm bench:tune-storage) compares worker processes with Optuna's.
 *
 *   pnpm tsx --conditions=@nerve/source bench/tune-storage/overhead.ts [trials]
 */
import '@nerve/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Reporter,
  type StudyWorkerOptions,
  randomSearch,
  runStudyWorker,
  space,
  uniform,
} from '@nerve/tune';
import { startCluster } from '../../test/helpers/pg-cluster.js';

const trials = Number(process.argv[2] ?? 300);
const trivial = async (c: { x: number }, r: Reporter) => {
  await r.report(1, { valLoss: c.x });
};

async function measure(storage: string, study: string, workers: number): Promise<number> {
  const opts = (i: number): StudyWorkerOptions => ({
    storage,
    study,
    space: space({ x: uniform(0, 1) }),
    objective: trivial as StudyWorkerOptions['objective'],
    searcher: randomSearch({ trials }),
    seed: 1,
    workerId: `bench-${i}`,
    pollMs: 5,
  });
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: workers }, (_, i) => runStudyWorker(opts(i))));
  const s = (performance.now() - t0) / 1000;
  const ran = rs.reduce((a, r) => a + r.ran.length, 0);
  if (ran !== trials) throw new Error(`ran ${ran} of ${trials}`);
  return trials / s;
}

const dir = mkdtempSync(join(tmpdir(), 'nerve-bench-'));
const cluster = await startCluster();
try {
  for (const workers of [1, 4]) {
    const pg = await measure(cluster.url(), `bench-${workers}`, workers);
    const file = await measure(join(dir, `bench-${workers}.jsonl`), 'bench', workers);
    console.log(
      `${workers} worker(s), ${trials} trials: PostgreSQL ${pg.toFixed(0)} trials/s (${(1000 / pg).toFixed(2)} ms/trial), JSON lines ${file.toFixed(0)} trials/s (${(1000 / file).toFixed(2)} ms/trial)`,
    );
  }
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
