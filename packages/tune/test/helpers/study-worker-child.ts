/**
 * One worker process of a shared study (the tests start several and may
 * SIGKILL some): node --import tsx --conditions=@nerve/source
 * study-worker-child.ts <storage> <study> <trials>. Timing comes from the
 * environment: TUNE_TEST_HEARTBEAT_MS, TUNE_TEST_GRACE_MS. Prints one JSON
 * line { ran } at the end.
 */
import '@nerve/backend-cpu';
import { existsSync } from 'node:fs';
import { runStudyWorker } from '../../src/index.js';
import { sharedWorkerOptions } from './shared-study.js';

const [storage, study, trials] = process.argv.slice(2);
// A start line: the test releases every worker at once, so all of them share the work.
const go = process.env.TUNE_TEST_GO;
if (go) {
  console.log('ready');
  while (!existsSync(go)) await new Promise((r) => setTimeout(r, 10));
}
const r = await runStudyWorker({
  ...sharedWorkerOptions(Number(trials), storage, study),
  heartbeatMs: Number(process.env.TUNE_TEST_HEARTBEAT_MS ?? 200),
  graceMs: Number(process.env.TUNE_TEST_GRACE_MS ?? 3000),
  pollMs: 20,
  workerId: process.env.TUNE_TEST_WORKER,
});
console.log(JSON.stringify({ ran: r.ran }));
