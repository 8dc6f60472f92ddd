/**
 * Exporters of @nerve/models' networks and their composite blocks: the
 * residual BasicBlock (its children, then Add and Relu), MobileNetV2's
 * InvertedResidual (its layers, then Add where it keeps its input), the
 * networks around them, and the small ones (mlp, lenet5, vggSmall). They live here, not in @nerve/models, so the models stay free
 * of export code and of this package: only those who export pay for it.
 */
import {
  BasicBlock,
  type ImageClassifier,
  InvertedResidual,
  LeNet5,
  MLP,
  MobileNetV2,
  ResNet,
  VggSmall,
} from '@nerve/models';
import { type OnnxExportContext, type OnnxValue, defineExporter } from './context.js';

/** x.flatten(1): [N, …] → [N, product of the rest] (ONNX's Flatten, axis 1). */
function flatten1(ctx: OnnxExportContext, x: OnnxValue): OnnxValue {
  const [n, ...rest] = x.shape;
  return ctx.op('Flatten', [x.name], [n, rest.reduce((a, b) => a * b, 1)], { axis: 1 });
}

/** The classifier's head child (`classifier` or `fc`), exported under its name. */
function head(ctx: OnnxExportContext, m: ImageClassifier, x: OnnxValue): OnnxValue {
  return ctx.module(m.getSubmodule(m.headName), m.headName, x);
}

// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); the shortcut is x itself or downsample(x).
defineExporter(BasicBlock, (m, x, ctx) => {
  let y = ctx.module(m.conv1, 'conv1', x);
  y = ctx.module(m.bn1, 'bn1', y);
  y = ctx.module(m.relu, 'relu', y);
  y = ctx.module(m.conv2, 'conv2', y);
  y = ctx.module(m.bn2, 'bn2', y);
  const identity = m.downsample ? ctx.module(m.downsample, 'downsample', x) : x;
  const sum = ctx.op('Add', [y.name, identity.name], y.shape);
  return ctx.module(m.relu, 'relu', sum);
});

// The stem, the four stages, global average pooling, flatten, then the head (`fc`).
defineExporter(ResNet, (m, x, ctx) => {
  let y = ctx.module(m.conv1, 'conv1', x);
  y = ctx.module(m.bn1, 'bn1', y);
  y = ctx.module(m.relu, 'relu', y);
  y = ctx.module(m.maxpool, 'maxpool', y);
  for (const [i, stage] of m.layers.entries()) y = ctx.module(stage, `layer${i + 1}`, y);
  y = ctx.module(m.avgpool, 'avgpool', y);
  return head(ctx, m, flatten1(ctx, y));
});

// conv(x), plus x where the block keeps size and channels (the inverted residual).
defineExporter(InvertedResidual, (m, x, ctx) => {
  const y = ctx.module(m.conv, 'conv', x);
  return m.useResConnect ? ctx.op('Add', [x.name, y.name], y.shape) : y;
});

// features, the mean over the plane (GlobalAveragePool, then Flatten), then the classifier.
defineExporter(MobileNetV2, (m, x, ctx) => {
  const f = ctx.module(m.features, 'features', x);
  const [n, c] = f.shape;
  const pooled = ctx.op('GlobalAveragePool', [f.name], [n, c, 1, 1]);
  return head(ctx, m, flatten1(ctx, pooled));
});

// features (Flatten and the hidden layers), then the classifier.
defineExporter(MLP, (m, x, ctx) => head(ctx, m, ctx.module(m.features, 'features', x)));

// features, flatten(1), then the classifier.
defineExporter(LeNet5, (m, x, ctx) =>
  head(ctx, m, flatten1(ctx, ctx.module(m.features, 'features', x))),
);

// features, avgpool (2×2), flatten(1), then the classifier.
defineExporter(VggSmall, (m, x, ctx) => {
  const f = ctx.module(m.avgpool, 'avgpool', ctx.module(m.features, 'features', x));
  return head(ctx, m, flatten1(ctx, f));
});
