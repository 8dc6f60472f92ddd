/**
 * ResNet (He et al. 2016, "Deep residual learning for image recognition")
 * with torchvision's module names, so `stateDict()` has torchvision's keys,
 * shapes and order of layers and torchvision weights saved as safetensors
 * load strictly: `conv1`, `bn1`, `layer1.0.conv1.weight`,
 * `layer2.0.downsample.0.weight`, …, `fc.weight`.
 */
import { type Tensor, add } from '@nerve/core';
import { heNormal } from '@nerve/init';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Linear,
  MaxPool2d,
  Module,
  type NamePattern,
  ReLU,
  Sequential,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import {
  ImageClassifier,
  InitSource,
  type ModelOptions,
  modelSetup,
  runForward,
} from './classifier.js';

/** A bias-free 3×3 or 1×1 convolution initialised as torchvision's (He normal, fan-out). */
function conv(init: InitSource, inC: number, outC: number, k: 1 | 3 | 7, stride: number): Conv2d {
  return new Conv2d(inC, outC, k, {
    stride,
    padding: (k - 1) / 2,
    bias: false,
    init: { weight: init.use(heNormal({ mode: 'fanOut', nonlinearity: 'relu' })) },
  });
}

/**
 * torchvision's BasicBlock: two 3×3 convolutions with BatchNorm, and the
 * input added back before the last ReLU; when the block changes the size or
 * the channels, `downsample` (a 1×1 convolution with stride and a BatchNorm,
 * named `downsample.0` and `downsample.1`) brings the input to the output's
 * shape. Children: `conv1`, `bn1`, `relu`, `conv2`, `bn2`[, `downsample`].
 */
export class BasicBlock extends Module {
  /** Output channels ÷ `planes` (1 for the BasicBlock). */
  static readonly expansion = 1;
  /** The first 3×3 convolution (carries the stride); a getter of the registered child, as all below. */
  get conv1(): Module {
    return this.getSubmodule('conv1');
  }
  /** BatchNorm after `conv1`. */
  get bn1(): Module {
    return this.getSubmodule('bn1');
  }
  /** The ReLU after `bn1` and after the sum (one module, called twice, as torchvision's). */
  get relu(): Module {
    return this.getSubmodule('relu');
  }
  /** The second 3×3 convolution. */
  get conv2(): Module {
    return this.getSubmodule('conv2');
  }
  /** BatchNorm after `conv2`. */
  get bn2(): Module {
    return this.getSubmodule('bn2');
  }
  /** The shortcut's 1×1 convolution and BatchNorm, or null when the input is added as it is. */
  get downsample(): Module | null {
    return this.hasDownsample ? this.getSubmodule('downsample') : null;
  }
  private readonly hasDownsample: boolean;

  /**
   * A block taking `inplanes` channels to `planes`, halving the size when
   * `stride` is 2; `init` draws the convolutions' weights.
   */
  constructor(
    inplanes: number,
    planes: number,
    stride = 1,
    init = new InitSource('BasicBlock', undefined),
  ) {
    super();
    this.registerModule('conv1', conv(init, inplanes, planes, 3, stride));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('relu', new ReLU());
    this.registerModule('conv2', conv(init, planes, planes, 3, 1));
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.hasDownsample = stride !== 1 || inplanes !== planes;
    if (this.hasDownsample) {
      this.registerModule(
        'downsample',
        new Sequential(conv(init, inplanes, planes, 1, stride), new BatchNorm2d(planes)),
      );
    }
  }

  /** relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
  forward(x: Tensor): Tensor {
    const relu = this.relu;
    const out = this.bn2.call(this.conv2.call(relu.call(this.bn1.call(this.conv1.call(x)))));
    const downsample = this.downsample;
    const identity = downsample ? downsample.call(x) : x;
    return relu.call(add(out, identity));
  }
}

/** Options of `new ResNet`: the blocks per stage, and those of every model builder. */
export interface ResNetOptions extends ModelOptions {
  /** Blocks in layer1 … layer4 ([2, 2, 2, 2] for ResNet-18, [3, 4, 6, 3] for ResNet-34). */
  layers: readonly [number, number, number, number];
}

/**
 * torchvision's ResNet with BasicBlocks: the stem (`conv1` 7×7 stride 2,
 * `bn1`, `relu`, `maxpool` 3×3 stride 2 padding 1), four stages `layer1` …
 * `layer4` of 64, 128, 256 and 512 channels (each after the first starting
 * with a stride-2 block), `avgpool` (AdaptiveAvgPool2d(1)), then `fc`.
 * Input [N, 3, H, W] (any H, W ≥ 32 or so; ImageNet models use 224),
 * output the logits [N, numClasses].
 */
export class ResNet extends ImageClassifier {
  readonly headName = 'fc' as const;
  readonly stages: readonly NamePattern[] = [
    /^(conv1|bn1)(\.|$)/,
    'layer1',
    'layer2',
    'layer3',
    'layer4',
  ];
  /** The stem's 7×7 convolution; a getter of the registered child, as all below. */
  get conv1(): Module {
    return this.getSubmodule('conv1');
  }
  /** The stem's BatchNorm. */
  get bn1(): Module {
    return this.getSubmodule('bn1');
  }
  /** The stem's ReLU. */
  get relu(): Module {
    return this.getSubmodule('relu');
  }
  /** The stem's 3×3 max pooling, stride 2. */
  get maxpool(): Module {
    return this.getSubmodule('maxpool');
  }
  /** The four stages of residual blocks, 64 → 512 channels (`layer1` … `layer4`). */
  get layers(): readonly [Module, Module, Module, Module] {
    return [
      this.getSubmodule('layer1'),
      this.getSubmodule('layer2'),
      this.getSubmodule('layer3'),
      this.getSubmodule('layer4'),
    ];
  }
  /** Global average pooling to 1×1. */
  get avgpool(): Module {
    return this.getSubmodule('avgpool');
  }

  /** A ResNet of BasicBlocks with `opts.layers` blocks per stage. */
  constructor(opts: ResNetOptions) {
    super();
    const { numClasses, init } = modelSetup('ResNet', opts);
    this.registerModule('conv1', conv(init, 3, 64, 7, 2));
    this.registerModule('bn1', new BatchNorm2d(64));
    this.registerModule('relu', new ReLU());
    this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inplanes = 64;
    const stage = (i: number, planes: number, blocks: number, stride: number): void => {
      const list = [new BasicBlock(inplanes, planes, stride, init)];
      inplanes = planes * BasicBlock.expansion;
      for (let b = 1; b < blocks; b++) list.push(new BasicBlock(inplanes, planes, 1, init));
      this.registerModule(`layer${i}`, new Sequential(...list));
    };
    const [b1, b2, b3, b4] = opts.layers;
    stage(1, 64, b1, 1);
    stage(2, 128, b2, 2);
    stage(3, 256, b3, 2);
    stage(4, 512, b4, 2);
    this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.registerModule(
      'fc',
      new Linear(inplanes, numClasses, { init: init.layerDefault(inplanes) }),
    );
  }

  /** Logits [N, numClasses] of images [N, 3, H, W]. */
  forward(x: Tensor): Tensor {
    return runForward(this, x, () => {
      let y = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(x))));
      for (const l of this.layers) y = l.call(y);
      return this.getSubmodule('fc').call(this.avgpool.call(y).flatten(1));
    });
  }
}

/** ResNet-18 (He et al. 2016): BasicBlocks [2, 2, 2, 2], 11.7 M parameters with 1000 classes. */
export function resnet18(opts: ModelOptions = {}): ResNet {
  return new ResNet({ ...opts, layers: [2, 2, 2, 2] });
}

/** ResNet-34 (He et al. 2016): BasicBlocks [3, 4, 6, 3], 21.8 M parameters with 1000 classes. */
export function resnet34(opts: ModelOptions = {}): ResNet {
  return new ResNet({ ...opts, layers: [3, 4, 6, 3] });
}
