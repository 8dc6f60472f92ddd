/**
 * Fused optimizer updates: one dispatch per parameter for SGD (momentum,
 * Nesterov, weight decay) and Adam/AdamW, instead of the 6–15 elementwise
 * kernels (and the scalar fills for their constants) of the composed update.
 *
 * Hyperparameters travel as uniforms, so a learning-rate schedule neither
 * uploads a scalar nor compiles a shader per step. The arithmetic follows
 * core's composition operation by operation (same constants, rounded to
 * float32 on the host), so the two agree to float32 rounding.
 *
 * The outputs are new buffers (the contract's buffers are immutable: other
 * views may still read the old parameter). Adam with AMSGrad needs 5 inputs
 * and 4 outputs, more than the 8 storage buffers a stage may bind by
 * default, so it takes two dispatches: the second moments, then the rest.
 */
import type { AdamUpdateParams, AdamUpdateResult, SgdUpdateParams } from '@nerve/core/backend';
import { type GpuContext, type GpuData, flatIndexWgsl } from '../context.js';
import { IS_NAN_WGSL } from './reduce.js';

const WG = 256;

function binds(inputs: readonly string[], outputs: readonly string[]): string {
  const lines: string[] = [];
  let b = 0;
  for (const n of inputs)
    lines.push(`@group(0) @binding(${b++}) var<storage, read> ${n}: array<f32>;`);
  for (const n of outputs) {
    lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${n}: array<f32>;`);
  }
  return `${lines.join('\n')}\n@group(0) @binding(${b}) var<uniform> U: Params;\n`;
}

function kernel(params: string, bindings: string, body: string): string {
  return `struct Params { ${params} }
${bindings}${IS_NAN_WGSL}${flatIndexWgsl(WG)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= U.n) { return; }
${body}
}
`;
}

/** Packs a u32 count followed by f32 values into a uniform block. */
function pack(n: number, values: readonly number[]): ArrayBuffer {
  const buf = new ArrayBuffer(4 * (1 + values.length));
  new Uint32Array(buf, 0, 1)[0] = n;
  new Float32Array(buf, 4, values.length).set(values);
  return buf;
}

/** One SGD update: the new parameter and (momentum ≠ 0) momentum buffer. */
export function sgdUpdate(
  ctx: GpuContext,
  param: GpuData,
  grad: GpuData,
  buf: GpuData | null,
  p: SgdUpdateParams,
): { param: GpuData; momentumBuffer: GpuData | null } {
  const n = p.size;
  const wd = p.weightDecay !== 0;
  const mom = p.momentum !== 0;
  const first = mom && buf === null;
  const nesterov = mom && p.nesterov;
  const outP = ctx.alloc(n, 'float32');
  const outB = mom ? ctx.alloc(n, 'float32') : null;
  const inputs = ['p', 'g'];
  if (mom && !first) inputs.push('b');
  const outputs = ['outP'];
  if (mom) outputs.push('outB');
  const body = [
    '  var d = g[i];',
    wd ? '  d = d + p[i] * U.wd;' : '',
    mom ? `  let b = ${first ? 'd' : 'b[i] * U.momentum + d * U.keep'};\n  outB[i] = b;` : '',
    mom ? `  d = ${nesterov ? 'd + b * U.momentum' : 'b'};` : '',
    '  outP[i] = p[i] - d * U.lr;',
  ]
    .filter((l) => l !== '')
    .join('\n');
  const [x, y] = ctx.dispatch1d(n, WG);
  ctx.run({
    key: `sgd.${wd}.${mom}.${first}.${nesterov}`,
    code: () =>
      kernel('n: u32, lr: f32, momentum: f32, keep: f32, wd: f32', binds(inputs, outputs), body),
    inputs: mom && !first ? [param, grad, buf!] : [param, grad],
    outputs: outB ? [outP, outB] : [outP],
    uniforms: pack(n, [p.lr, p.momentum, 1 - p.dampening, p.weightDecay]),
    workgroups: [x, y],
  });
  return { param: outP, momentumBuffer: outB };
}

/** One Adam or AdamW update (AMSGrad in two dispatches, see the file comment). */
export function adamUpdate(
  ctx: GpuContext,
  param: GpuData,
  grad: GpuData,
  m: GpuData,
  v: GpuData,
  vMax: GpuData | null,
  p: AdamUpdateParams,
): AdamUpdateResult {
  const n = p.size;
  const l2 = p.weightDecay !== 0 && !p.decoupledWeightDecay;
  const decoupled = p.weightDecay !== 0 && p.decoupledWeightDecay;
  const biasCorrection1 = 1 - p.beta1 ** p.step;
  const biasCorrection2 = 1 - p.beta2 ** p.step;
  const uniforms = pack(n, [
    p.beta1,
    1 - p.beta1,
    p.beta2,
    1 - p.beta2,
    Math.sqrt(biasCorrection2),
    p.eps,
    p.lr / biasCorrection1,
    p.weightDecay,
    1 - p.lr * p.weightDecay,
  ]);
  const params =
    'n: u32, b1: f32, keep1: f32, b2: f32, keep2: f32, sqrtBc2: f32, eps: f32, stepSize: f32, wd: f32, decay: f32';
  const grad_ = `  var d = g[i];\n${l2 ? '  d = d + p[i] * U.wd;\n' : ''}`;
  const secondMoment = '  let v2 = v[i] * U.b2 + (d * U.keep2) * d;';
  const tail = (vhat: string) => `  let m2 = m[i] * U.b1 + d * U.keep1;
  outM[i] = m2;
  let denom = sqrt(${vhat}) / U.sqrtBc2 + U.eps;
  let x = ${decoupled ? 'p[i] * U.decay' : 'p[i]'};
  outP[i] = x - (m2 / denom) * U.stepSize;`;
  const [x, y] = ctx.dispatch1d(n, WG);
  const outP = ctx.alloc(n, 'float32');
  const outM = ctx.alloc(n, 'float32');
  const outV = ctx.alloc(n, 'float32');
  if (!p.amsgrad || vMax === null) {
    ctx.run({
      key: `adam.${l2}.${decoupled}`,
      code: () =>
        kernel(
          params,
          binds(['p', 'g', 'm', 'v'], ['outP', 'outM', 'outV']),
          `${grad_}${secondMoment}\n  outV[i] = v2;\n${tail('v2')}`,
        ),
      inputs: [param, grad, m, v],
      outputs: [outP, outM, outV],
      uniforms,
      workgroups: [x, y],
    });
    return { param: outP, expAvg: outM, expAvgSq: outV, maxExpAvgSq: null };
  }
  const outMax = ctx.alloc(n, 'float32');
  ctx.run({
    key: `adam.amsgrad.moments.${l2}`,
    code: () =>
      kernel(
        params,
        binds(['p', 'g', 'v', 'vMax'], ['outV', 'outMax']),
        // WGSL's max() may drop a NaN; torch.maximum keeps it, and so does the reference.
        `${grad_}${secondMoment}\n  outV[i] = v2;\n  let vm = vMax[i];\n  outMax[i] = select(select(max(vm, v2), v2, isNan(v2)), vm, isNan(vm));`,
      ),
    inputs: [param, grad, v, vMax],
    outputs: [outV, outMax],
    uniforms,
    workgroups: [x, y],
  });
  ctx.run({
    key: `adam.amsgrad.step.${l2}.${decoupled}`,
    code: () =>
      kernel(
        params,
        binds(['p', 'g', 'm', 'vMax'], ['outP', 'outM']),
        `${grad_}${tail('vMax[i]')}`,
      ),
    inputs: [param, grad, m, outMax],
    outputs: [outP, outM],
    uniforms,
    workgroups: [x, y],
  });
  return { param: outP, expAvg: outM, expAvgSq: outV, maxExpAvgSq: outMax };
}
