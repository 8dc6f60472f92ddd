/**
 * WebGPU benchmark: float32 matmul GFLOP/s (square and training shapes) and
 * MLP training steps/s for nerve's `webgpu` backend, next to
 * @tensorflow/tfjs-backend-webgpu and jax-js on the same adapter, in one run.
 *   pnpm bench:webgpu [-- --quick]
 * On the lent GPU machine run it through ../shared/device/prepare.sh (see
 * docs/benchmarks.md); bench/torch_matmul.py prints cuBLAS numbers there.
 */
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const gpu = create([]);
if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu, userAgent: 'node' },
    configurable: true,
  });
} else if (!(globalThis.navigator as { gpu?: unknown }).gpu) {
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
}

const quick = process.argv.includes('--quick');
const only = (name: string) => !process.argv.includes(`--skip-${name}`);

type Shape = [number, number, number];
const square: Shape[] = (quick ? [256, 512] : [256, 512, 1024, 2048, 4096]).map((s) => [s, s, s]);
const training: Shape[] = quick
  ? [[64, 784, 256]]
  : [
      [64, 784, 1024],
      [128, 784, 256],
      [256, 1024, 1024],
      [512, 4096, 4096],
      [512, 784, 4096],
    ];

/** Runs `step` until ~`seconds` pass (at least `min` times) and returns runs per second. */
async function rate(
  step: () => Promise<void> | void,
  sync: () => Promise<void>,
  seconds: number,
  min = 3,
) {
  await step();
  await sync();
  let n = 0;
  const t0 = performance.now();
  while (n < min || performance.now() - t0 < seconds * 1000) {
    await step();
    n++;
    if (n % 8 === 0) await sync();
    if (n >= 2000) break;
  }
  await sync();
  return n / ((performance.now() - t0) / 1000);
}

const results: Record<string, Record<string, number>> = {};
function put(lib: string, key: string, v: number) {
  results[key] ??= {};
  results[key][lib] = v;
}

async function benchNerve() {
  const core = await import('@nerve/core');
  await import('@nerve/backend-webgpu');
  const backend = (await core.ready('webgpu')) as unknown as { describe?: () => unknown };
  core.setBackend('webgpu');
  console.log(`nerve webgpu adapter: ${JSON.stringify(backend.describe?.() ?? 'unknown')}`);
  for (const [m, k, n] of [...square, ...training]) {
    const a = core.randn([m, k], { seed: 1 });
    const b = core.randn([k, n], { seed: 2 });
    let last: InstanceType<typeof core.Tensor> | null = null;
    const perSec = await rate(
      () => {
        last?.dispose();
        last = core.matmul(a, b);
      },
      async () => {
        if (last) await last.slice([0], [1]).data();
      },
      quick ? 0.5 : 2,
    );
    put('nerve', `matmul ${m}×${k}·${k}×${n}`, (2 * m * k * n * perSec) / 1e9);
    (last as { dispose(): void } | null)?.dispose();
    a.dispose();
    b.dispose();
  }
  const { Linear, ReLU, Sequential, crossEntropy } = await import('@nerve/layers');
  const { SGD } = await import('@nerve/optim');
  const model = new Sequential(
    new Linear(784, 256, { seed: 1 }),
    new ReLU(),
    new Linear(256, 128, { seed: 2 }),
    new ReLU(),
    new Linear(128, 10, { seed: 3 }),
  );
  const opt = new SGD(model.parameters(), { lr: 0.01 });
  const x = core.randn([128, 784], { seed: 3 });
  const y = core.randint(0, 10, [128], { seed: 4 });
  const steps = await rate(
    async () => {
      const loss = core.tidy(() => {
        const l = crossEntropy(model.call(x), y);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.detach();
      });
      await loss.data(); // the loss is read back every step, as a training loop does
      loss.dispose();
    },
    async () => {},
    quick ? 1 : 4,
  );
  put('nerve', 'MLP 784-256-128-10 b128 steps/s', steps);
}

async function benchTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  // Gradients are registered separately in tfjs-core's modular build.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  for (const [m, k, n] of [...square, ...training]) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    let last: ReturnType<typeof tf.matMul> | null = null;
    const perSec = await rate(
      () => {
        last?.dispose();
        last = tf.matMul(a, b);
      },
      async () => {
        if (last) await tf.slice(last, [0, 0], [1, 1]).data();
      },
      quick ? 0.5 : 2,
    );
    put('tfjs-webgpu', `matmul ${m}×${k}·${k}×${n}`, (2 * m * k * n * perSec) / 1e9);
    (last as { dispose(): void } | null)?.dispose();
    a.dispose();
    b.dispose();
  }
  const w1 = tf.variable(tf.randomNormal([784, 256], 0, 0.05));
  const w2 = tf.variable(tf.randomNormal([256, 128], 0, 0.05));
  const w3 = tf.variable(tf.randomNormal([128, 10], 0, 0.05));
  const x = tf.randomNormal([128, 784]);
  const y = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32'), 10);
  const opt = tf.train.sgd(0.01);
  const steps = await rate(
    async () => {
      const loss = opt.minimize(
        () =>
          tf.losses.softmaxCrossEntropy(
            y,
            tf.matMul(tf.relu(tf.matMul(tf.relu(tf.matMul(x, w1)), w2)), w3),
          ) as never,
        true,
      ) as unknown as { data(): Promise<unknown>; dispose(): void };
      await loss.data();
      loss.dispose();
    },
    async () => {},
    quick ? 1 : 4,
  );
  put('tfjs-webgpu', 'MLP 784-256-128-10 b128 steps/s', steps);
}

interface JaxArray {
  readonly ref: JaxArray;
  data(): Promise<unknown>;
  dispose(): void;
}

async function benchJax() {
  const jax = (await import('@jax-js/jax')) as unknown as {
    init(): Promise<string[]>;
    defaultDevice(d: string): void;
    numpy: {
      ones(shape: number[]): JaxArray;
      matmul(a: unknown, b: unknown): JaxArray;
    };
  };
  const devices = await jax.init();
  if (!devices.includes('webgpu'))
    throw new Error(`jax-js found no webgpu device (${devices.join(', ')})`);
  jax.defaultDevice('webgpu');
  const np = jax.numpy;
  for (const [m, k, n] of [...square, ...training]) {
    const a = np.ones([m, k]);
    const b = np.ones([k, n]);
    let last: JaxArray | null = null;
    const perSec = await rate(
      () => {
        // jax-js moves arrays into ops: .ref keeps a and b alive, data() consumes a reference.
        last?.dispose();
        last = np.matmul(a.ref, b.ref);
      },
      async () => {
        if (last) await last.ref.data();
      },
      quick ? 0.5 : 2,
    );
    put('jax-js', `matmul ${m}×${k}·${k}×${n}`, (2 * m * k * n * perSec) / 1e9);
  }
}

for (const [name, fn] of [
  ['nerve', benchNerve],
  ['tfjs', benchTfjs],
  ['jax', benchJax],
] as const) {
  if (!only(name)) continue;
  try {
    await fn();
  } catch (e) {
    console.log(`${name}: failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

const libs = ['nerve', 'tfjs-webgpu', 'jax-js'];
const rows = [['work', ...libs.map((l) => `${l}`), 'nerve/tfjs', 'nerve/jax']];
for (const [key, r] of Object.entries(results)) {
  const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(v >= 100 ? 0 : 2));
  const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
  rows.push([
    key,
    ...libs.map((l) => f(r[l])),
    ratio(r.nerve, r['tfjs-webgpu']),
    ratio(r.nerve, r['jax-js']),
  ]);
}
console.log('\nGFLOP/s for matmul rows, steps/s for training rows');
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows)
  console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
process.exit(0);
