/**
 * The network of `pnpm bench:resnet`: `resnet18()` from @nerve/models when
 * the workspace has it, else a stand-in built here from @nerve/layers and
 * @nerve/norm with torchvision's structure and parameter names (BasicBlock
 * ×[2, 2, 2, 2], 64–512 channels, 7×7 stem, 1×1 stride-2 downsample
 * shortcuts), so that the benchmark runs before that package lands. The
 * orchestrator prints which one ran.
 */
import type { Tensor } from '@nerve/core';
import type { Module } from '@nerve/layers';

/** The model and where it came from. */
export interface Net {
  model: Module;
  source: string;
}

export async function resnet18(numClasses: number): Promise<Net> {
  try {
    const spec = '@nerve/models';
    const models = (await import(/* @vite-ignore */ spec)) as {
      resnet18?: (o: { numClasses: number }) => Module;
    };
    if (typeof models.resnet18 === 'function') {
      return { model: models.resnet18({ numClasses }), source: '@nerve/models resnet18()' };
    }
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  return { model: await standIn(numClasses), source: 'bench/resnet stand-in (no @nerve/models)' };
}

async function standIn(numClasses: number): Promise<Module> {
  const core = await import('@nerve/core');
  const { AdaptiveAvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential } =
    await import('@nerve/layers');
  const { BatchNorm2d } = await import('@nerve/norm');

  class BasicBlock extends Module {
    private readonly conv1: InstanceType<typeof Conv2d>;
    private readonly bn1: InstanceType<typeof BatchNorm2d>;
    private readonly conv2: InstanceType<typeof Conv2d>;
    private readonly bn2: InstanceType<typeof BatchNorm2d>;
    private readonly downsample: InstanceType<typeof Sequential> | null;

    constructor(inC: number, outC: number, stride: number) {
      super();
      this.conv1 = this.registerModule(
        'conv1',
        new Conv2d(inC, outC, 3, { stride, padding: 1, bias: false }),
      );
      this.bn1 = this.registerModule('bn1', new BatchNorm2d(outC));
      this.conv2 = this.registerModule(
        'conv2',
        new Conv2d(outC, outC, 3, { padding: 1, bias: false }),
      );
      this.bn2 = this.registerModule('bn2', new BatchNorm2d(outC));
      this.downsample =
        stride !== 1 || inC !== outC
          ? this.registerModule(
              'downsample',
              new Sequential(
                new Conv2d(inC, outC, 1, { stride, bias: false }),
                new BatchNorm2d(outC),
              ),
            )
          : null;
    }

    forward(x: Tensor): Tensor {
      const h = core.relu(this.bn1.call(this.conv1.call(x)));
      const y = this.bn2.call(this.conv2.call(h));
      return core.relu(core.add(y, this.downsample ? this.downsample.call(x) : x));
    }
  }

  class ResNet18 extends Module {
    constructor() {
      super();
      const layer = (inC: number, outC: number, stride: number) =>
        new Sequential(new BasicBlock(inC, outC, stride), new BasicBlock(outC, outC, 1));
      const parts: [string, Module][] = [
        ['conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })],
        ['bn1', new BatchNorm2d(64)],
        ['relu', new ReLU()],
        ['maxpool', new MaxPool2d(3, { stride: 2, padding: 1 })],
        ['layer1', layer(64, 64, 1)],
        ['layer2', layer(64, 128, 2)],
        ['layer3', layer(128, 256, 2)],
        ['layer4', layer(256, 512, 2)],
        ['avgpool', new AdaptiveAvgPool2d(1)],
        ['flatten', new Flatten()],
        ['fc', new Linear(512, numClasses)],
      ];
      for (const [name, m] of parts) this.registerModule(name, m);
    }

    forward(x: Tensor): Tensor {
      let y = x;
      for (const [, m] of this.namedChildren()) y = m.call(y);
      return y;
    }
  }

  return new ResNet18();
}
