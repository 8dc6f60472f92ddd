/**
 * nerve's side of `pnpm bench:resnet`: ResNet-18 forward + backward through
 * the public API (the model's `call`, `crossEntropy`, `backward`, in `tidy`
 * as packages/train/src/fit.ts steps), on the `cpu` backend with its default
 * threads, or on `webgpu` when a hardware adapter exists.
 *   node --import tsx --conditions=@nerve/source bench/resnet/nerve.ts [--backend webgpu]
 */
import { createInterface } from 'node:readline';
import { type Memory, type Reply, type Request, TAG } from './protocol.js';
import { trainingSetup } from './resnet18.js';

function send(reply: Reply): void {
  process.stdout.write(`${TAG}${JSON.stringify(reply)}\n`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const backendName = arg('backend') ?? 'cpu';

/** Installs Dawn (the `webgpu` package) as navigator.gpu; a reason to skip when there is no hardware adapter. */
async function webgpuSkipReason(): Promise<string | undefined> {
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    return `the webgpu package does not load: ${(e as Error).message.split('\n')[0]}`;
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu, userAgent: 'node' },
      configurable: true,
    });
  } else {
    Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return 'no WebGPU adapter';
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; type?: string };
  const name = [info.vendor, info.architecture, info.device, info.description]
    .filter(Boolean)
    .join(' ');
  // Dawn names lavapipe / llvmpipe / SwiftShader; `isFallbackAdapter` is the standard flag.
  if (info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(name)) {
    return `only a software adapter (${name || 'unnamed'}): not a GPU measurement`;
  }
  return undefined;
}

/** Process RSS now and its maximum so far, in bytes. */
function rss(): { rss: number; maxRss: number } {
  return { rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 };
}

async function main(): Promise<void> {
  if (backendName === 'webgpu') {
    const why = await webgpuSkipReason();
    if (why) {
      send({ type: 'skip', reason: why });
      process.exit(0);
    }
  }
  const core = await import('@nerve/core');
  let threads = '';
  let cached: () => number | undefined = () => undefined;
  if (backendName === 'cpu') {
    const cpu = await import('@nerve/backend-cpu');
    // The backend's default: every core (setThreads() at import). Wait until the workers are up.
    const n = await cpu.threadsReady();
    threads = `${cpu.getThreads()} thread(s) (the default; ${n} up), kernel mode ${cpu.getKernelMode()}`;
    cached = () => cpu.cachedBufferBytes();
  } else {
    await import('@nerve/backend-webgpu');
  }
  await core.ready(backendName);
  core.setBackend(backendName);
  const backend = core.getBackend(backendName) as unknown as Record<string, unknown> & {
    memory(): { bytes: number };
    describe?: () => { vendor: string; device: string; description: string };
    poolStats?: () => { freeBytes: number; pendingBytes: number };
  };
  if (backend.poolStats) {
    cached = () => {
      const s = backend.poolStats!();
      return s.freeBytes + s.pendingBytes;
    };
  }

  const { source, named, step } = await trainingSetup();
  const rssBefore = rss().rss;

  const firstLoss = await step();
  const params = named.reduce((s, [, p]) => s + p.size, 0);
  const where =
    backendName === 'cpu'
      ? `cpu backend, ${threads}`
      : `webgpu backend on ${JSON.stringify(backend.describe?.() ?? {})}`;
  send({ type: 'hello', info: `nerve ${where}; ${source}`, params, firstLoss });

  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as Request;
    try {
      if (req.cmd === 'steps') {
        const seconds: number[] = [];
        for (let i = 0; i < req.n; i++) {
          const t0 = performance.now();
          await step();
          seconds.push((performance.now() - t0) / 1000);
        }
        send({ type: 'steps', seconds });
      } else {
        // One more step with every backend method wrapped to sample its live bytes after each call.
        let peak = backend.memory().bytes;
        const restore: (() => void)[] = [];
        for (const key of methodNames(backend)) {
          if (key === 'memory' || key === 'constructor') continue;
          const fn = backend[key] as (...a: unknown[]) => unknown;
          backend[key] = function (this: unknown, ...a: unknown[]) {
            const out = fn.apply(backend, a);
            const now = backend.memory().bytes;
            if (now > peak) peak = now;
            return out;
          };
          restore.push(() => delete backend[key]);
        }
        try {
          await step();
        } finally {
          for (const r of restore) r();
        }
        const memory: Memory = {
          peakTensorBytes: peak,
          cachedBytes: cached(),
          rssBefore,
          ...rss(),
        };
        send({ type: 'peak', memory });
      }
    } catch (e) {
      send({ type: 'error', message: (e as Error).message.split('\n')[0] });
    }
  }
  process.exit(0);
}

/** The methods an object has through its prototypes (not Object's own). */
function methodNames(o: object): string[] {
  const names = new Set<string>();
  for (
    let p = Object.getPrototypeOf(o);
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    for (const k of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === 'function') names.add(k);
    }
  }
  return [...names];
}

main().catch((e) => {
  send({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
});
