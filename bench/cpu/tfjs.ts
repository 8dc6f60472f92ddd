/**
 * TensorFlow.js for `pnpm bench:cpu`, on @tensorflow/tfjs-backend-cpu or
 * @tensorflow/tfjs-backend-wasm (XNNPACK; SIMD, no threads in Node), written
 * as a tfjs user would: NHWC convolutions, dense kernels [in, out],
 * matMul's transpose flags for the backward products, optimizer.minimize.
 *   node --import tsx bench/cpu/tfjs.ts --backend cpu|wasm
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Library, NERVE_ONLY, serve, sumAbs } from './child.js';
import {
  type DepthwiseWorkload,
  type MatmulWorkload,
  type TrainWorkload,
  type Workload,
  depthwiseShapes,
  labels,
  matmulShapes,
  paramValues,
  sizeOf,
  uniform,
} from './workloads.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Tensor4D = import('@tensorflow/tfjs-core').Tensor4D;
type Scalar = import('@tensorflow/tfjs-core').Scalar;
type Variable = import('@tensorflow/tfjs-core').Variable;

const backendName = process.argv[process.argv.indexOf('--backend') + 1] ?? 'cpu';

function matmulCell(tf: Tf, w: MatmulWorkload) {
  const [sa, sb] = matmulShapes(w);
  const a = tf.tensor(uniform(sizeOf(sa), 1), sa);
  const b = tf.tensor(uniform(sizeOf(sb), 2), sb);
  const product = () => {
    const c = tf.matMul(a, b, w.transA, w.transB);
    const values = c.dataSync();
    c.dispose();
    return values;
  };
  return { step: () => void product(), check: sumAbs(product()) };
}

/** The workload's weights in tfjs layouts: dense [in, out], conv [kh, kw, in, out] (NHWC). */
function variables(tf: Tf, w: TrainWorkload): Variable[] {
  return w.params.map((p, i) =>
    tf.tidy(() => {
      const t = tf.tensor(paramValues(p), p.shape);
      let v: Tensor = t;
      if (p.shape.length === 4) v = tf.transpose(t, [2, 3, 1, 0]);
      else if (p.shape.length === 2 && w.kind === 'cnn') {
        // PyTorch flattens NCHW as (c, h, w); NHWC flattens as (h, w, c).
        const channels = w.params[i - 2].shape[0];
        const side = Math.sqrt(p.shape[1] / channels);
        const chw = tf.reshape(t, [p.shape[0], channels, side, side]);
        v = tf.reshape(tf.transpose(chw, [2, 3, 1, 0]), [p.shape[1], p.shape[0]]);
      } else if (p.shape.length === 2) v = tf.transpose(t);
      return tf.variable(v, true, `${w.name}.p${i}`);
    }),
  );
}

function trainCell(tf: Tf, w: TrainWorkload) {
  const vars = variables(tf, w);
  const [n] = w.inputShape;
  const xNchw = tf.tensor(uniform(sizeOf(w.inputShape), w.inputSeed), w.inputShape);
  const x = w.kind === 'cnn' ? tf.transpose(xNchw, [0, 2, 3, 1]) : xNchw;
  const y = tf.oneHot(tf.tensor1d(labels(n, w.labelSeed, w.classes), 'int32'), w.classes);
  const dense = (h: Tensor, i: number) => tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
  const conv = (h: Tensor, i: number) =>
    tf.relu(tf.add(tf.conv2d(h as Tensor4D, vars[i] as Tensor4D, 1, 'same'), vars[i + 1]));
  const pool = (h: Tensor) => tf.maxPool(h as Tensor4D, 2, 2, 'valid');
  const logits = (): Tensor =>
    w.kind === 'mlp'
      ? dense(tf.relu(dense(tf.relu(dense(x, 0)), 2)), 4)
      : dense(tf.reshape(pool(conv(pool(conv(x, 0)), 2)), [n, -1]), 4);
  if (w.kind === 'mlp' && w.params.length !== 6) throw new Error('three-layer MLPs only');
  const opt = w.optimizer === 'adam' ? tf.train.adam(w.lr, 0.9, 0.999, 1e-8) : tf.train.sgd(w.lr);
  let last = Number.NaN;
  const step = () => {
    // returnCost: minimize hands back the loss, which is read every step.
    const loss = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(y, logits()) as Scalar,
      true,
      vars,
    );
    if (!loss) throw new Error('optimizer.minimize returned no loss');
    last = loss.dataSync()[0];
    loss.dispose();
  };
  step();
  return { step, check: last };
}

/**
 * tf.depthwiseConv2d (NHWC, filter [kh, kw, C, 1]) with symmetric padding,
 * and its two gradients from dy through tf.grads.
 */
function depthwiseCell(tf: Tf, w: DepthwiseWorkload) {
  if (w.perGroup) throw new Error(NERVE_ONLY);
  const { weight, output } = depthwiseShapes(w);
  const toNhwc = (v: Float32Array, shape: number[]) =>
    tf.tidy(() => tf.transpose(tf.tensor(v, shape), [0, 2, 3, 1]));
  const x = toNhwc(uniform(sizeOf(w.inputShape), w.inputSeed), w.inputShape) as Tensor4D;
  const dy = toNhwc(uniform(sizeOf(output), w.gradSeed), output) as Tensor4D;
  // PyTorch's [C, 1, kh, kw] is tfjs's [kh, kw, C, 1].
  const k: Tensor4D = tf.tidy(() => {
    const oihw: Tensor = tf.tensor(uniform(sizeOf(weight), w.weightSeed, 1 / 3), weight);
    return tf.transpose(oihw, [2, 3, 0, 1]) as Tensor4D;
  });
  const conv = (a: Tensor, b: Tensor) =>
    tf.depthwiseConv2d(a as Tensor4D, b as Tensor4D, w.stride, w.padding);
  const grads = tf.grads(conv);
  const step = () => {
    const [dx, dk] = grads([x, k], dy);
    dk.dataSync();
    dx.dispose();
    dk.dispose();
  };
  const check = tf.tidy(() => tf.sum(tf.mul(conv(x, k), dy)).dataSync()[0]);
  return { step, check };
}

async function load(): Promise<Library | string> {
  const tf = await import('@tensorflow/tfjs-core');
  // Gradients are registered separately in tfjs-core's modular build.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  if (backendName === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries are read from the package's dist/ folder.
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${path.dirname(main)}${path.sep}`);
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  if (!(await tf.setBackend(backendName))) return `tf.setBackend('${backendName}') failed`;
  await tf.ready();
  const flags =
    backendName === 'wasm'
      ? ` (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')})`
      : '';
  return {
    info: `@tensorflow/tfjs-core ${tf.version_core}, backend ${backendName}${flags}`,
    prepare: async (w: Workload) =>
      w.kind === 'matmul'
        ? matmulCell(tf, w)
        : w.kind === 'depthwise'
          ? depthwiseCell(tf, w)
          : trainCell(tf, w),
  };
}

await serve(load);
