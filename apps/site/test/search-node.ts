/**
 * The /search study in Node: the page's own coordinator (search-study.ts)
 * and trial (search-objective.ts), with the trials run in-process on one
 * lane instead of in Web Workers, on the digits as `nerve train` prepares
 * them. One lane: in-process trials share the global generator (Dropout's),
 * which trials in separate workers do not.
 */
import '@nerve/backend-cpu';
import { setBackend } from '@nerve/core';
import { digitsTrainVal } from '@nerve/data';
import { trainTrial } from '../.vitepress/theme/search-objective.js';
import {
  type SearchResult,
  type SearchSettings,
  type TrialRunner,
  runSearch,
} from '../.vitepress/theme/search-study.js';

export async function runSearchInNode(settings: SearchSettings): Promise<SearchResult> {
  if (settings.workers !== 1) throw new Error('runSearchInNode: expected workers 1');
  setBackend('cpu');
  const { train, val, test } = digitsTrainVal();
  test.dispose();
  const runner: TrialRunner = {
    async run(_lane, trial, report) {
      try {
        await trainTrial({ train, val }, trial, report);
        return {};
      } catch (e) {
        return { error: (e as Error).message };
      }
    },
  };
  try {
    return await runSearch(settings, runner);
  } finally {
    train.dispose();
    val.dispose();
  }
}
