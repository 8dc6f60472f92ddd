/**
 * Exporters of @nerve/models' networks and their composite blocks: the
 * residual BasicBlock (its children, then Add and Relu), MobileNetV2's
 * InvertedResidual (its layers, then Add where it keeps its input) and the
 * networks around them. They live here, not in @nerve/models, so the models stay free
 * of export code and of this package: only those who export pay for it.
 */
import { BasicBlock, InvertedResidual, MobileNetV2, ResNet } from '@nerve/models';
import { defineExporter } from './context.js';

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
  const [n, c] = y.shape;
  const flat = ctx.op('Flatten', [y.name], [n, c], { axis: 1 });
  return ctx.module(m.headLinear, m.headLinearName, flat);
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
  const flat = ctx.op('Flatten', [pooled.name], [n, c], { axis: 1 });
  const classifier = m.namedChildren().find(([name]) => name === m.headName)?.[1];
  if (!classifier) throw ctx.refuse(m, `it has no '${m.headName}'`);
  return ctx.module(classifier, m.headName, flat);
});
