/**
 * Runs one runnable example (a file of examples/getting-started/, the same
 * file the Node test runs) in a worker: console.log is captured and each
 * call is written as Node writes it (formatLog) and posted to the page.
 * One worker per run, since a module's top-level code runs once.
 */
import '@nerve/backend-cpu';
import { formatLog } from '../../../../examples/stated-output.js';
import { type BackendChoice, type SiteBackend, useSiteBackend } from './site-backend.js';

/** The example modules, bundled as lazy chunks of this worker. */
const modules = import.meta.glob([
  '../../../../examples/getting-started/*.ts',
  '!../../../../examples/getting-started/*.test.ts',
]);

/** What the page sends. */
export interface ExampleRequest {
  name: string;
  /** The visitor's choice (default 'cpu'). */
  backend?: BackendChoice;
}

/** What the worker posts. */
export type ExampleMessage =
  | { type: 'log'; line: string }
  | { type: 'backend'; backend: SiteBackend }
  | { type: 'done'; seconds: number; backend: SiteBackend }
  | { type: 'error'; text: string };

const post = (m: ExampleMessage): void => postMessage(m);

/** Activates the visitor's backend for this run (the examples read asynchronously, so WebGPU runs them). */
async function activateBackend(choice: BackendChoice): Promise<SiteBackend> {
  const used = await useSiteBackend(choice);
  post({ type: 'backend', backend: used });
  return used;
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
