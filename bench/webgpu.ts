/**
 * WebGPU benchmark: float32 matmul GFLOP/s (square, training and GEMV
 * shapes) and training steps/s (the digits MLP; a small CNN at batch 64 and
 * 256) for nerve's `webgpu` backend, next to @tensorflow/tfjs-backend-webgpu
 * and jax-js on the same adapter, in one run. GEMV rows also run nerve on a
 * second device without the `subgroups` feature ("nerve (no subgroups)"),
 * which measures the subgroup variant of the small-side matmul.
 *   pnpm bench:webgpu [-- --quick] [--skip-nerve|--skip-nosg|--skip-tfjs|--skip-jax]
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
/**
 * Batch-1 / few-row products against a PyTorch-layout weight [n, k] (x·Wᵀ, as
 * Linear does): the GEMV path. Weights stay under 128 MiB, the smallest
 * maxStorageBufferBindingSize among the adapters used (lavapipe).
 */
const gemv: Shape[] = quick
  ? [[1, 256, 512]]
  : [
      [1, 768, 768],
      [1, 4096, 4096],
      [4, 4096, 4096],
      [1, 11008, 2048],
      [1, 1024, 16384],
    ];
const gemvKey = ([m, k, n]: Shape) => `gemv ${m}×${k}·(${n}×${k})ᵀ`;
/** CNN batch sizes ([B,1,28,28] → conv 16 → pool → conv 32 → pool → dense 10). */
const cnnBatches = quick ? [8] : [64, 256];
const cnnKey = (b: number) => `CNN c16-c32-d10 b${b} steps/s`;
const trainSeconds = quick ? 1 : 4;

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

async function nerveBackend(name: string, subgroups: boolean) {
  const core = await import('@nerve/core');
  const { WebGpuBackend } = await import('@nerve/backend-webgpu');
  if (name !== 'webgpu') core.registerBackend(name, () => new WebGpuBackend({ subgroups }), -1);
  const backend = (await core.ready(name)) as unknown as { describe?: () => unknown };
  core.setBackend(name);
  console.log(`nerve ${name} adapter: ${JSON.stringify(backend.describe?.() ?? 'unknown')}`);
  return core;
}

/** GEMV products per row and library, to check the subgroup kernel against the fallback on this adapter. */
const gemvOutputs: Record<string, Record<string, Float32Array>> = {};

async function nerveMatmuls(lib: string, shapes: Shape[], transB: boolean) {
  const core = await import('@nerve/core');
  for (const [m, k, n] of shapes) {
    const a = core.randn([m, k], { seed: 1 });
    const b = core.randn(transB ? [n, k] : [k, n], { seed: 2 });
    const bb = transB ? b.transpose() : b;
    let last: InstanceType<typeof core.Tensor> | null = null;
    const perSec = await rate(
      () => {
        last?.dispose();
        last = core.matmul(a, bb);
      },
      async () => {
        if (!last) return;
        const first = last.slice([0], [1]);
        await first.data();
        first.dispose();
      },
      quick ? 0.5 : 2,
    );
    const key = transB ? gemvKey([m, k, n]) : `matmul ${m}×${k}·${k}×${n}`;
    put(lib, key, (2 * m * k * n * perSec) / 1e9);
    if (transB && last) {
      gemvOutputs[key] ??= {};
      gemvOutputs[key][lib] = (await (last as { data(): Promise<unknown> }).data()) as Float32Array;
    }
    (last as { dispose(): void } | null)?.dispose();
    if (bb !== b) bb.dispose();
    a.dispose();
    b.dispose();
  }
}

async function benchNerve() {
  const core = await nerveBackend('webgpu', true);
  await nerveMatmuls('nerve', [...square, ...training], false);
  // A failing GEMV row (a new kernel) must not cost the training rows below.
  await nerveMatmuls('nerve', gemv, true).catch((e: Error) =>
    console.log(`nerve gemv: failed: ${e.message.split('\n')[0]}`),
  );
  const { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, crossEntropy } = await import(
    '@nerve/layers'
  );
  const { SGD } = await import('@nerve/optim');
  type Model = InstanceType<typeof Sequential>;
  const train = async (model: Model, xShape: number[], batch: number) => {
    const opt = new SGD(model.parameters(), { lr: 0.01 });
    const x = core.randn(xShape, { seed: 3 });
    const y = core.randint(0, 10, [batch], { seed: 4 });
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
      trainSeconds,
    );
    x.dispose();
    y.dispose();
    return steps;
  };
  const mlp = new Sequential(
    new Linear(784, 256, { seed: 1 }),
    new ReLU(),
    new Linear(256, 128, { seed: 2 }),
    new ReLU(),
    new Linear(128, 10, { seed: 3 }),
  );
  put('nerve', 'MLP 784-256-128-10 b128 steps/s', await train(mlp, [128, 784], 128));
  for (const batch of cnnBatches) {
    const cnn = new Sequential(
      new Conv2d(1, 16, 3, { padding: 1, seed: 5 }),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(16, 32, 3, { padding: 1, seed: 6 }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(32 * 7 * 7, 10, { seed: 7 }),
    );
    put('nerve', cnnKey(batch), await train(cnn, [batch, 1, 28, 28], batch));
  }
}

/** The GEMV rows again on a device created without the `subgroups` feature. */
async function benchNerveNoSubgroups() {
  await nerveBackend('webgpu-nosubgroups', false);
  await nerveMatmuls('nerve (no subgroups)', gemv, true);
}

async function benchTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  // Gradients are registered separately in tfjs-core's modular build.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  const gemvShapes = gemv.map((s) => [...s, 1] as const);
  for (const [m, k, n, t] of [
    ...[...square, ...training].map((s) => [...s, 0] as const),
    ...gemvShapes,
  ]) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal(t ? [n, k] : [k, n]);
    let last: ReturnType<typeof tf.matMul> | null = null;
    const perSec = await rate(
      () => {
        last?.dispose();
        last = tf.matMul(a, b, false, t === 1);
      },
      async () => {
        if (last) await tf.slice(last, [0, 0], [1, 1]).data();
      },
      quick ? 0.5 : 2,
    );
    const key = t ? gemvKey([m, k, n]) : `matmul ${m}×${k}·${k}×${n}`;
    put('tfjs-webgpu', key, (2 * m * k * n * perSec) / 1e9);
    (last as { dispose(): void } | null)?.dispose();
    a.dispose();
    b.dispose();
  }
  type Tf = typeof tf;
  type T = ReturnType<Tf['variable']>;
  const train = async (vars: T[], xShape: number[], batch: number, logits: (x: never) => never) => {
    const x = tf.randomNormal(xShape);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
    const opt = tf.train.sgd(0.01);
    const steps = await rate(
      async () => {
        const loss = opt.minimize(
          () => tf.losses.softmaxCrossEntropy(y, logits(x as never)) as never,
          true,
          vars,
        ) as unknown as { data(): Promise<unknown>; dispose(): void };
        await loss.data();
        loss.dispose();
      },
      async () => {},
      trainSeconds,
    );
    x.dispose();
    y.dispose();
    opt.dispose();
    return steps;
  };
  const w1 = tf.variable(tf.randomNormal([784, 256], 0, 0.05));
  const w2 = tf.variable(tf.randomNormal([256, 128], 0, 0.05));
  const w3 = tf.variable(tf.randomNormal([128, 10], 0, 0.05));
  const mlp = (x: never) =>
    tf.matMul(tf.relu(tf.matMul(tf.relu(tf.matMul(x, w1)), w2)), w3) as never;
  put(
    'tfjs-webgpu',
    'MLP 784-256-128-10 b128 steps/s',
    await train([w1, w2, w3], [128, 784], 128, mlp),
  );
  // NHWC, tfjs's native layout (its NCHW conv transposes internally).
  type T4 = Parameters<Tf['conv2d']>[1];
  const c1 = tf.variable(tf.randomNormal([3, 3, 1, 16], 0, 0.3));
  const cb1 = tf.variable(tf.zeros([16]));
  const c2 = tf.variable(tf.randomNormal([3, 3, 16, 32], 0, 0.08));
  const cb2 = tf.variable(tf.zeros([32]));
  const d = tf.variable(tf.randomNormal([7 * 7 * 32, 10], 0, 0.03));
  const db = tf.variable(tf.zeros([10]));
  for (const batch of cnnBatches) {
    const cnn = (x: never) => {
      const conv1 = tf.conv2d(x, c1 as unknown as T4, 1, 'same');
      const h1 = tf.maxPool(tf.relu(tf.add(conv1, cb1)) as never, 2, 2, 'valid');
      const h2 = tf.maxPool(
        tf.relu(tf.add(tf.conv2d(h1 as never, c2 as unknown as T4, 1, 'same'), cb2)) as never,
        2,
        2,
        'valid',
      );
      return tf.add(tf.matMul(tf.reshape(h2, [batch, 7 * 7 * 32]), d), db) as never;
    };
    put(
      'tfjs-webgpu',
      cnnKey(batch),
      await train([c1, cb1, c2, cb2, d, db], [batch, 28, 28, 1], batch, cnn),
    );
  }
}

/** jax-js arrays move into the ops that take them: `.ref` keeps one alive (one more reference). */
interface JaxArray {
  readonly ref: JaxArray;
  readonly shape: number[];
  data(): Promise<unknown>;
  dispose(): void;
  add(o: unknown): JaxArray;
  sub(o: unknown): JaxArray;
  mul(o: unknown): JaxArray;
  reshape(s: number[]): JaxArray;
  sum(): JaxArray;
}
interface Jax {
  init(): Promise<string[]>;
  defaultDevice(d: string): void;
  jit(f: unknown): unknown;
  valueAndGrad(f: unknown): (...a: unknown[]) => [JaxArray, Record<string, JaxArray>];
  tree: {
    map(fn: (...a: JaxArray[]) => JaxArray, ...trees: unknown[]): Record<string, JaxArray>;
    ref<T>(tree: T): T;
  };
  numpy: {
    ones(shape: number[]): JaxArray;
    zeros(shape: number[]): JaxArray;
    matmul(a: unknown, b: unknown): JaxArray;
    transpose(a: unknown): JaxArray;
    max(a: unknown, axis?: number | number[]): JaxArray;
  };
  nn: {
    relu(x: unknown): JaxArray;
    logSoftmax(x: unknown, axis?: number): JaxArray;
    oneHot(x: unknown, n: number): JaxArray;
  };
  lax: {
    conv(x: unknown, w: unknown, strides: number[], padding: string): JaxArray;
    reduceWindow(
      x: unknown,
      f: (w: JaxArray) => JaxArray,
      dims: number[],
      strides?: number[],
    ): JaxArray;
  };
  random: {
    key(seed: number): JaxArray;
    normal(key: unknown, shape: number[]): JaxArray;
    randint(key: unknown, o: { minval: number; maxval: number; shape: number[] }): JaxArray;
  };
}

async function benchJax() {
  const jax = (await import('@jax-js/jax')) as unknown as Jax;
  const devices = await jax.init();
  if (!devices.includes('webgpu'))
    throw new Error(`jax-js found no webgpu device (${devices.join(', ')})`);
  jax.defaultDevice('webgpu');
  const np = jax.numpy;
  const gemvShapes = gemv.map((s) => [...s, 1] as const);
  for (const [m, k, n, t] of [
    ...[...square, ...training].map((s) => [...s, 0] as const),
    ...gemvShapes,
  ]) {
    const a = np.ones([m, k]);
    const b = t ? np.transpose(np.ones([n, k])) : np.ones([k, n]);
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
    const key = t ? gemvKey([m, k, n]) : `matmul ${m}×${k}·${k}×${n}`;
    put('jax-js', key, (2 * m * k * n * perSec) / 1e9);
    (last as JaxArray | null)?.dispose();
    a.dispose();
    b.dispose();
  }
  try {
    put('jax-js', 'MLP 784-256-128-10 b128 steps/s', await jaxMlp(jax));
  } catch (e) {
    console.log(`jax-js MLP: failed: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const batch of cnnBatches) {
    try {
      put('jax-js', cnnKey(batch), await jaxCnn(jax, batch));
    } catch (e) {
      console.log(`jax-js CNN b${batch}: failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

type JaxParams = Record<string, JaxArray>;
type JaxLoss = (p: JaxParams, x: JaxArray, y: JaxArray) => JaxArray;

/** Steps/s of a jitted jax-js SGD step (lr 0.01) on fixed random data, the loss read every step. */
async function jaxTrain(jax: Jax, init: JaxParams, lossFn: JaxLoss, xShape: number[]) {
  const batch = xShape[0];
  let params = init;
  const step = jax.jit((p: JaxParams, x: JaxArray, y: JaxArray) => {
    // p is used twice (gradient and update): one more reference for the first use.
    const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), x, y);
    const next = jax.tree.map((w, gw) => w.sub(gw.mul(0.01)), p, g);
    return [loss, next];
  }) as (p: unknown, x: unknown, y: unknown) => [JaxArray, JaxParams];
  const x = jax.random.normal(jax.random.key(4), xShape);
  const y = jax.nn.oneHot(
    jax.random.randint(jax.random.key(5), { minval: 0, maxval: 10, shape: [batch] }),
    10,
  );
  const steps = await rate(
    async () => {
      const [loss, next] = step(params, x.ref, y.ref);
      params = next;
      await loss.data(); // the loss is read back every step
    },
    async () => {},
    trainSeconds,
  );
  for (const v of Object.values(params)) v.dispose();
  x.dispose();
  y.dispose();
  return steps;
}

/** Mean cross-entropy of logits against one-hot targets. */
function jaxCrossEntropy(jax: Jax, logits: JaxArray, y: JaxArray, batch: number): JaxArray {
  return jax.nn
    .logSoftmax(logits, -1)
    .mul(y)
    .sum()
    .mul(-1 / batch);
}

const jaxRandom = (jax: Jax, seed: number, shape: number[], scale: number) =>
  jax.random.normal(jax.random.key(seed), shape).mul(scale);

async function jaxMlp(jax: Jax): Promise<number> {
  const np = jax.numpy;
  const init: JaxParams = {
    w1: jaxRandom(jax, 1, [784, 256], 0.05),
    b1: np.zeros([256]),
    w2: jaxRandom(jax, 2, [256, 128], 0.05),
    b2: np.zeros([128]),
    w3: jaxRandom(jax, 3, [128, 10], 0.05),
    b3: np.zeros([10]),
  };
  const lossFn: JaxLoss = (p, x, y) => {
    const h1 = jax.nn.relu(np.matmul(x, p.w1).add(p.b1));
    const h2 = jax.nn.relu(np.matmul(h1, p.w2).add(p.b2));
    return jaxCrossEntropy(jax, np.matmul(h2, p.w3).add(p.b3), y, 128);
  };
  return jaxTrain(jax, init, lossFn, [128, 784]);
}

/** The CNN in jax-js: NCHW, conv weights [out, in, 3, 3] as lax.conv takes them. */
async function jaxCnn(jax: Jax, batch: number): Promise<number> {
  const { np, nn, lax } = { np: jax.numpy, nn: jax.nn, lax: jax.lax };
  const init: JaxParams = {
    c1: jaxRandom(jax, 1, [16, 1, 3, 3], 0.3),
    b1: np.zeros([16]),
    c2: jaxRandom(jax, 2, [32, 16, 3, 3], 0.08),
    b2: np.zeros([32]),
    d: jaxRandom(jax, 3, [32 * 7 * 7, 10], 0.03),
    db: np.zeros([10]),
  };
  // reduceWindow's window covers the trailing (spatial) axes.
  const pool = (h: JaxArray) => lax.reduceWindow(h, (w) => np.max(w), [2, 2], [2, 2]);
  const lossFn: JaxLoss = (p, x, y) => {
    const h1 = pool(nn.relu(lax.conv(x, p.c1, [1, 1], 'SAME').add(p.b1.reshape([1, 16, 1, 1]))));
    const h2 = pool(nn.relu(lax.conv(h1, p.c2, [1, 1], 'SAME').add(p.b2.reshape([1, 32, 1, 1]))));
    const logits = np.matmul(h2.reshape([batch, 32 * 7 * 7]), p.d).add(p.db);
    return jaxCrossEntropy(jax, logits, y, batch);
  };
  return jaxTrain(jax, init, lossFn, [batch, 1, 28, 28]);
}

for (const [name, fn] of [
  ['nerve', benchNerve],
  ['nosg', benchNerveNoSubgroups],
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

const libs = ['nerve', 'nerve (no subgroups)', 'tfjs-webgpu', 'jax-js'];
const rows = [['work', ...libs, 'nerve/tfjs', 'nerve/jax', 'subgroups gain']];
for (const [key, r] of Object.entries(results)) {
  const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(v >= 100 ? 0 : 2));
  const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : '—');
  rows.push([
    key,
    ...libs.map((l) => f(r[l])),
    ratio(r.nerve, r['tfjs-webgpu']),
    ratio(r.nerve, r['jax-js']),
    ratio(r.nerve, r['nerve (no subgroups)']),
  ]);
}
// Same seeds on both devices (counter-based RNG): the products must agree to float32 rounding.
for (const [key, o] of Object.entries(gemvOutputs)) {
  const [sg, plain] = [o.nerve, o['nerve (no subgroups)']];
  if (!sg || !plain) continue;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < sg.length; i++) {
    diff = Math.max(diff, Math.abs(sg[i] - plain[i]));
    scale = Math.max(scale, Math.abs(plain[i]));
  }
  const ok = sg.length === plain.length && diff <= 1e-4 * Math.max(1, scale);
  console.log(
    `check ${key}: subgroups vs no subgroups max |diff| ${diff.toExponential(2)} ${ok ? 'ok' : 'MISMATCH'}`,
  );
}
console.log('\nGFLOP/s for matmul and gemv rows, steps/s for training rows');
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows)
  console.log(r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
process.exit(0);
