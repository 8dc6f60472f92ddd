/**
 * The playground's worker: builds a run (playground-core.ts) for the knobs
 * the page sends, trains it epoch by epoch while playing, and posts a
 * snapshot (curves, per-layer monitors, diagnosis, decision boundary) at
 * most every SNAPSHOT_MS, so the page's thread only draws. Between epochs it
 * yields to its message queue, so pause, step and reset arrive at once.
 */
import '@nerve/backend-cpu';
import { type Tensor, setBackend, toBackend } from '@nerve/core';
import { TensorDataset } from '@nerve/data';
import { fetchDigits } from './fetch-digits.js';
import {
  type PlaygroundConfig,
  type PlaygroundData,
  PlaygroundRun,
  type PlaygroundSnapshot,
  digitsData,
  toyData,
} from './playground-core.js';
import { type BackendChoice, type SiteBackend, useSiteBackend } from './site-backend.js';

/**
 * What the page sends. `backend` is the visitor's choice (default 'cpu'). Each
 * reset starts generation n + 1 (counted from 0 on both sides); snapshots
 * carry their generation, so the page drops those of an older run.
 */
export type PlaygroundRequest =
  | { type: 'reset'; config: PlaygroundConfig; backend?: BackendChoice }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' };

/** What the worker posts. */
export type PlaygroundMessage =
  | { type: 'status'; text: string }
  | {
      type: 'ready';
      /** What `useSiteBackend` activated for this run. */
      backend: SiteBackend;
      generation: number;
      /** The 2-D sets' points and the boundary grid's extent (absent for digits). */
      points?: PlaygroundData['points'];
      extent?: [number, number];
      trainSize: number;
      valSize: number;
    }
  | {
      type: 'snapshot';
      generation: number;
      running: boolean;
      seconds: number;
      snapshot: PlaygroundSnapshot;
    }
  | { type: 'error'; text: string };

/** Between two snapshots while playing (the brief: every ~100–250 ms). */
const SNAPSHOT_MS = 150;

const post = (m: PlaygroundMessage): void => postMessage(m);

/**
 * The data set's tensors moved to the training backend. The data are made
 * on the CPU (the stratified split and the scaler read synchronously, which
 * WebGPU cannot), so the numbers are the same on every backend.
 */
async function moveData(data: PlaygroundData, name: string): Promise<PlaygroundData> {
  const move = async (d: TensorDataset) =>
    new TensorDataset(...(await Promise.all(d.tensors.map((t: Tensor) => toBackend(t, name)))));
  let train: TensorDataset | undefined;
  try {
    train = await move(data.train);
    const val = await move(data.val);
    return {
      ...data,
      train,
      val,
      dispose() {
        train?.dispose();
        val.dispose();
      },
    };
  } catch (e) {
    train?.dispose();
    throw e;
  } finally {
    data.dispose();
  }
}

let run: PlaygroundRun | undefined;
let generation = 0;
let playing = false;
let trainSeconds = 0;
let digits: Promise<Awaited<ReturnType<typeof fetchDigits>>> | undefined;

async function dataFor(cfg: PlaygroundConfig): Promise<PlaygroundData> {
  if (cfg.dataset !== 'digits') return toyData(cfg.dataset, cfg.seed);
  digits ??= fetchDigits();
  const d = await digits;
  return digitsData(d.x, d.y, cfg.seed);
}

async function postSnapshot(): Promise<void> {
  if (!run) return;
  const gen = generation;
  const running = playing;
  const seconds = trainSeconds;
  // Read asynchronously: WebGPU has no synchronous reads (the same numbers on the CPU).
  const snapshot = await run.snapshotAsync();
  if (gen !== generation) return;
  post({ type: 'snapshot', generation: gen, running, seconds, snapshot });
}

async function reset(
  req: Extract<PlaygroundRequest, { type: 'reset' }>,
  gen: number,
): Promise<void> {
  playing = false;
  // The play loop is not queued: let its epoch in flight finish first.
  await inFlight;
  if (gen !== generation) return;
  run?.dispose();
  run = undefined;
  trainSeconds = 0;
  // The data are prepared on the CPU, then moved to the chosen backend.
  setBackend('cpu');
  if (req.config.dataset === 'digits') post({ type: 'status', text: 'loading digits…' });
  let data = await dataFor(req.config);
  // A newer reset arrived while the digits loaded.
  if (gen !== generation) {
    data.dispose();
    return;
  }
  let backend: SiteBackend;
  try {
    post({ type: 'status', text: 'starting the backend…' });
    backend = await useSiteBackend(req.backend ?? 'cpu');
    if (backend.name !== 'cpu') data = await moveData(data, backend.name);
  } catch (e) {
    data.dispose();
    throw e;
  }
  if (gen !== generation) {
    data.dispose();
    return;
  }
  run = new PlaygroundRun(req.config, data);
  post({
    type: 'ready',
    backend,
    generation,
    points: data.points,
    extent: data.extent,
    trainSize: data.train.length,
    valSize: data.val.length,
  });
  await postSnapshot();
}

let inFlight: Promise<unknown> = Promise.resolve();

function epoch(): Promise<void> {
  const r = run;
  if (!r) return Promise.resolve();
  const p = (async () => {
    const t0 = performance.now();
    await r.step();
    trainSeconds += (performance.now() - t0) / 1000;
  })();
  inFlight = p.catch(() => undefined);
  return p;
}

async function play(): Promise<void> {
  if (playing || !run) return;
  playing = true;
  const gen = generation;
  let last = 0;
  try {
    while (playing && gen === generation) {
      await epoch();
      const now = performance.now();
      if (now - last >= SNAPSHOT_MS) {
        last = now;
        await postSnapshot();
      }
      // Let pause/step/reset messages in.
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    if (gen === generation) {
      playing = false;
      await postSnapshot();
    }
  }
}

let queue: Promise<void> = Promise.resolve();
/** Runs requests that touch the run one after another (a reset waits for a step in flight). */
function serial(f: () => Promise<void>): void {
  queue = queue.then(f).catch((e: unknown) => {
    playing = false;
    console.error(e);
    post({ type: 'error', text: String((e as Error)?.message ?? e) });
  });
}

addEventListener('message', (ev: MessageEvent<PlaygroundRequest>) => {
  const req = ev.data;
  if (req.type === 'pause') {
    playing = false;
  } else if (req.type === 'reset') {
    // Stop the loop now; the reset itself waits for the epoch in flight.
    playing = false;
    const gen = ++generation;
    serial(() => reset(req, gen));
  } else if (req.type === 'play') {
    // Not queued: the loop itself would hold the queue; it checks the generation.
    queue = queue.then(() => {
      void play().catch((e: unknown) => {
        playing = false;
        console.error(e);
        post({ type: 'error', text: String((e as Error)?.message ?? e) });
      });
    });
  } else if (req.type === 'step') {
    serial(async () => {
      if (playing) return;
      await inFlight;
      await epoch();
      await postSnapshot();
    });
  }
});
