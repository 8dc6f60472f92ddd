/**
 * Exporters of @nerve/norm's layers in evaluation mode: BatchNorm with its
 * running statistics (BatchNormalization), LayerNorm (LayerNormalization,
 * opset 17 on).
 */
import { BatchNorm1d, BatchNorm2d, type BatchNormBase, LayerNorm } from '@nerve/norm';
import { type OnnxExportContext, type OnnxValue, defineExporter } from './context.js';

/**
 * (x − running_mean)/√(running_var + ε)·γ + β per channel (axis 1), as
 * nerve's evaluation mode computes it (Ioffe & Szegedy 2015).
 */
function exportBatchNorm(m: BatchNormBase, x: OnnxValue, ctx: OnnxExportContext): OnnxValue {
  const mean = m.runningMean;
  const variance = m.runningVar;
  if (!mean || !variance) {
    throw ctx.refuse(
      m,
      'it keeps no running statistics (trackRunningStats false), so it normalizes with batch statistics even in evaluation',
    );
  }
  const c = m.numFeatures;
  if (x.shape.length < 2 || x.shape[1] !== c) {
    throw ctx.refuse(m, `expected an input [N, ${c}, …], received [${x.shape.join(',')}]`);
  }
  const scale = m.weight ? ctx.weight(m.weight, 'weight') : ctx.constant(ones(c), [c], 'weight');
  const bias = m.bias ? ctx.weight(m.bias, 'bias') : ctx.constant(new Float32Array(c), [c], 'bias');
  const inputs = [
    x.name,
    scale,
    bias,
    ctx.weight(mean, 'running_mean'),
    ctx.weight(variance, 'running_var'),
  ];
  return ctx.op('BatchNormalization', inputs, x.shape, { epsilon: m.eps });
}

function ones(n: number): Float32Array {
  return new Float32Array(n).fill(1);
}

defineExporter(BatchNorm1d, exportBatchNorm);
defineExporter(BatchNorm2d, exportBatchNorm);

defineExporter(LayerNorm, (m, x, ctx) => {
  if (ctx.opset < 17)
    throw ctx.refuse(m, `LayerNormalization needs opset 17 or later, not ${ctx.opset}`);
  const ns = m.normalizedShape;
  const size = ns.reduce((a, b) => a * b, 1);
  const scale = m.weight ? ctx.weight(m.weight, 'weight') : ctx.constant(ones(size), ns, 'weight');
  const inputs = [x.name, scale];
  if (m.bias) inputs.push(ctx.weight(m.bias, 'bias'));
  return ctx.op('LayerNormalization', inputs, x.shape, { axis: -ns.length, epsilon: m.eps });
});
