/**
 * Exporters of @nerve/models' networks and their composite blocks: the
 * residual BasicBlock (its children, then Add and Relu) and the ResNet
 * around it. They live here, not in @nerve/models, so the models stay free
 * of export code and of this package: only those who export pay for it.
 */
import { BasicBlock, ResNet } from '@nerve/models';
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
