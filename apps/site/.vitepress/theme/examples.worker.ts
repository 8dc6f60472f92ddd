/**
 * Runs one runnable example (a file of examples/getting-started/, the same
 * file the Node test runs) in a worker: console.log is captured and each
 * call is written as Node writes it (formatLog) and posted to the page.
 * One worker per run, since a module's top-level code runs once.
 */
import { setBackend } from '@nerve/core';
import '@nerve/backend-cpu';
import { formatLog } from '../../../../examples/stated-output.js';

/** The example modules, bundled as lazy chunks of this worker. */
const modules = import.meta.glob([
  '../../../../examples/getting-started/*.ts',
  '!../../../../examples/getting-started/*.test.ts',
]);

/** What the page sends. */
export interface ExampleRequest {
  name: string;
  /** The backend to run on; only 'cpu' for now (the site's backend picker takes over at merge). */
  backend?: 'auto' | 'cpu' | 'webgpu';
}

/** What the worker posts. */
export type ExampleMessage =
  | { type: 'log'; line: string }
  | { type: 'done'; seconds: number; backend: string }
  | { type: 'error'; text: string };

const post = (m: ExampleMessage): void => postMessage(m);

/** Activates the backend for this run: the one line the backend picker replaces. */
async function activateBackend(_choice: ExampleRequest['backend']): Promise<string> {
  setBackend('cpu');
  return 'cpu';
}

addEventListener('message', (ev: MessageEvent<ExampleRequest>) => {
  const { name, backend = 'cpu' } = ev.data;
  const load = modules[`../../../../examples/getting-started/${name}.ts`];
  if (load === undefined) {
    post({
      type: 'error',
      text: `example: expected one of ${Object.keys(modules).join(', ')}, received ${name}`,
    });
    return;
  }
  console.log = (...args: unknown[]) => post({ type: 'log', line: formatLog(args) });
  const t0 = performance.now();
  activateBackend(backend)
    .then(async (used) => {
      await load();
      post({ type: 'done', seconds: (performance.now() - t0) / 1000, backend: used });
    })
    .catch((e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }));
});
