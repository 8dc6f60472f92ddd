/**
 * jax-js on its `wasm` device for `pnpm bench:cpu`, written as a JAX user
 * would: pure functions, `jit(valueAndGrad)` for the training step with the
 * SGD update inside the jitted function, parameters as a pytree, dense
 * kernels [in, out], NCHW convolutions through `lax.conv` and max-pooling
 * through `lax.reduceWindow`. Node has no Worker global, so the wasm device
 * runs on one thread. Arrays are reference counted: every use consumes one
 * reference, `.ref` adds one.
 *   node --import tsx bench/cpu/jax.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Library, NERVE_ONLY, serve, sumAbs } from './child.js';
import {
  type MatmulWorkload,
  type TrainWorkload,
  type Workload,
  labels,
  matmulShapes,
  paramValues,
  sizeOf,
  uniform,
} from './workloads.js';

type Jax = typeof import('@jax-js/jax');
type JArray = import('@jax-js/jax').Array;

function matmulCell(jax: Jax, w: MatmulWorkload) {
  const np = jax.numpy;
  const [sa, sb] = matmulShapes(w);
  const a = np.array(uniform(sizeOf(sa), 1)).reshape(sa);
  const b = np.array(uniform(sizeOf(sb), 2)).reshape(sb);
  const f = jax.jit((x: JArray, y: JArray) =>
    np.matmul(w.transA ? x.transpose() : x, w.transB ? y.transpose() : y),
  );
  return { step: () => void f(a.ref, b.ref).dataSync(), check: sumAbs(f(a.ref, b.ref).dataSync()) };
}

/** Row-major [rows, cols] → [cols, rows] on the host. */
function transpose2d(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c];
  return out;
}

function trainCell(jax: Jax, w: TrainWorkload) {
  if (w.optimizer === 'adam') throw new Error('no Adam in this column yet (SGD only)');
  const { numpy: np, lax, nn, tree } = jax;
  let params: JArray[] = w.params.map((p) => {
    const v = paramValues(p);
    // Dense kernels as [in, out] (x·W), the JAX convention; conv kernels stay OIHW.
    if (p.shape.length === 2) {
      const [o, i] = p.shape;
      return np.array(transpose2d(v, o, i)).reshape([i, o]);
    }
    return np.array(v).reshape(p.shape);
  });
  const [n] = w.inputShape;
  const x = np.array(uniform(sizeOf(w.inputShape), w.inputSeed)).reshape(w.inputShape);
  const y = nn.oneHot(np.array(labels(n, w.labelSeed, w.classes), { dtype: np.int32 }), w.classes);
  const dense = (h: JArray, k: JArray, b: JArray) => np.matmul(h, k).add(b);
  const conv = (h: JArray, k: JArray, b: JArray) =>
    nn.relu(lax.conv(h, k, [1, 1], 'SAME').add(b.reshape([-1, 1, 1])));
  const pool = (h: JArray) => lax.reduceWindow(h, (win) => np.max(win), [2, 2], [2, 2]);
  const logits = (p: JArray[], h: JArray): JArray =>
    w.kind === 'mlp'
      ? dense(nn.relu(dense(nn.relu(dense(h, p[0], p[1])), p[2], p[3])), p[4], p[5])
      : dense(pool(conv(pool(conv(h, p[0], p[1])), p[2], p[3])).reshape([n, -1]), p[4], p[5]);
  const lossFn = (p: JArray[], h: JArray, t: JArray) =>
    nn.logSoftmax(logits(p, h), -1).mul(t).sum(-1).mean().neg();
  const update = jax.jit((p: JArray[], h: JArray, t: JArray) => {
    const [loss, grads] = jax.valueAndGrad(lossFn)(tree.ref(p), h, t);
    const next = tree.map((q: JArray, g: JArray) => q.sub(g.mul(w.lr)), p, grads);
    return [loss, next] as [JArray, JArray[]];
  });
  let last = Number.NaN;
  const step = () => {
    const [loss, next] = update(params, x.ref, y.ref);
    params = next;
    last = loss.item();
  };
  step();
  return { step, check: last };
}

async function load(): Promise<Library | string> {
  const jax = await import('@jax-js/jax');
  // Only the wasm device: init() without arguments also probes WebGPU, which needs `navigator`.
  const devices = await jax.init('wasm');
  if (!devices.includes('wasm')) return `no wasm device (found ${devices.join(', ')})`;
  jax.defaultDevice('wasm');
  // The package exports no version; its package.json sits one folder above dist/.
  const pkg = fileURLToPath(new URL('../package.json', import.meta.resolve('@jax-js/jax')));
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  return {
    info: `@jax-js/jax ${version}, device wasm (one thread in Node)`,
    prepare: async (w: Workload) => {
      if (w.kind === 'depthwise') {
        throw new Error(w.perGroup ? NERVE_ONLY : 'no depthwise workload in this column yet');
      }
      return w.kind === 'matmul' ? matmulCell(jax, w) : trainCell(jax, w);
    },
  };
}

await serve(load);
