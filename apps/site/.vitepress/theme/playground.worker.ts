/**
 * The playground's worker: builds a run (playground-core.ts) for the knobs
 * the page sends, trains it epoch by epoch while playing, and posts a
 * snapshot (curves, per-layer monitors, diagnosis, decision boundary) at
 * most every SNAPSHOT_MS, so the page's thread only draws. Between epochs it
 * yields to its message queue, so pause, step and reset arrive at once.
 */
import '@nerve/backend-cpu';
import { setBackend } from '@nerve/core';
import { fetchDigits } from './fetch-digits.js';
import {
  type PlaygroundConfig,
  type PlaygroundData,
  PlaygroundRun,
  type PlaygroundSnapshot,
  digitsData,
  toyData,
} from './playground-core.js';

/**
 * What the page sends. `backend` is 'cpu' for now (see useBackend). Each
 * reset starts generation n + 1 (counted from 0 on both sides); snapshots
 * carry their generation, so the page drops those of an older run.
 */
export type PlaygroundRequest =
  | { type: 'reset'; config: PlaygroundConfig; backend?: string }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' };

/** What the worker posts. */
export type PlaygroundMessage =
  | { type: 'status'; text: string }
  | {
      type: 'ready';
      backend: string;
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
 * Activates the backend for a choice. Only the CPU backend for now; the
 * site's backend picker replaces this body with `useSiteBackend(choice)`.
 */
async function useBackend(_choice: string): Promise<string> {
  setBackend('cpu');
  return 'cpu';
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

function postSnapshot(): void {
  if (!run) return;
  post({
    type: 'snapshot',
    generation,
    running: playing,
    seconds: trainSeconds,
    snapshot: run.snapshot(),
  });
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
  const backend = await useBackend(req.backend ?? 'cpu');
  if (req.config.dataset === 'digits') post({ type: 'status', text: 'loading digits…' });
  const data = await dataFor(req.config);
  // A newer reset arrived while the digits loaded.
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
  postSnapshot();
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
        postSnapshot();
      }
      // Let pause/step/reset messages in.
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    if (gen === generation) {
      playing = false;
      postSnapshot();
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
      postSnapshot();
    });
  }
});
