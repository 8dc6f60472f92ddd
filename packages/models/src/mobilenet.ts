/**
 * MobileNetV2 (Sandler et al. 2018, "MobileNetV2: Inverted residuals and
 * linear bottlenecks") with torchvision's module names: `features.0.0.weight`
 * (the stem's convolution), `features.3.conv.1.0.weight` (a depthwise
 * convolution), `features.18.1.running_var`, `classifier.1.weight`, …, so
 * torchvision weights saved as safetensors load strictly.
 */
import { type Tensor, add, mean } from '@nerve/core';
import { heNormal, normal, zeros } from '@nerve/init';
import {
  Conv2d,
  Dropout,
  Linear,
  Module,
  type NamePattern,
  ReLU6,
  Sequential,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import {
  ImageClassifier,
  type InitSource,
  type ModelOptions,
  modelSetup,
  runForward,
} from './classifier.js';

/** A bias-free convolution initialised as torchvision's MobileNetV2 (He normal, fan-out). */
function conv(
  init: InitSource,
  inC: number,
  outC: number,
  k: 1 | 3,
  stride = 1,
  groups = 1,
): Conv2d {
  return new Conv2d(inC, outC, k, {
    stride,
    padding: (k - 1) / 2,
    groups,
    bias: false,
    init: { weight: init.use(heNormal({ mode: 'fanOut' })) },
  });
}

/**
 * torchvision's Conv2dNormActivation with ReLU6: a Sequential of a bias-free
 * convolution (`0`), BatchNorm (`1`) and ReLU6 (`2`); `groups` equal to the
 * channels makes it depthwise.
 */
export function convBNReLU6(
  init: InitSource,
  inC: number,
  outC: number,
  kernelSize: 1 | 3,
  stride = 1,
  groups = 1,
): Sequential {
  return new Sequential(
    conv(init, inC, outC, kernelSize, stride, groups),
    new BatchNorm2d(outC),
    new ReLU6(),
  );
}

/**
 * torchvision's InvertedResidual: a 1×1 expansion to `inp · expandRatio`
 * channels (left out when the ratio is 1), a 3×3 depthwise convolution
 * carrying the stride, and a linear 1×1 projection to `oup` channels (no
 * activation: the "linear bottleneck"), all in one Sequential `conv`; the
 * input is added back when the stride is 1 and the channels stay.
 */
export class InvertedResidual extends Module {
  /** Whether the block adds its input to its output (stride 1, same channels). */
  readonly useResConnect: boolean;
  /** The block's layers: [expansion,] depthwise, projection convolution, BatchNorm (the registered child). */
  get conv(): Module {
    return this.getSubmodule('conv');
  }

  /** A block from `inp` to `oup` channels; `init` draws the convolutions' weights. */
  constructor(inp: number, oup: number, stride: 1 | 2, expandRatio: number, init: InitSource) {
    super();
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(convBNReLU6(init, inp, hidden, 1));
    layers.push(
      convBNReLU6(init, hidden, hidden, 3, stride, hidden),
      conv(init, hidden, oup, 1),
      new BatchNorm2d(oup),
    );
    this.registerModule('conv', new Sequential(...layers));
  }

  /** x + conv(x) with the residual connection, else conv(x). */
  forward(x: Tensor): Tensor {
    const y = this.conv.call(x);
    return this.useResConnect ? add(x, y) : y;
  }
}

/** torchvision's (t, c, n, s): expansion, output channels, blocks, first stride. */
const SETTINGS: readonly [number, number, number, 1 | 2][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Options of `mobilenetV2`. */
export interface MobileNetV2Options extends ModelOptions {
  /** Drop probability of the Dropout before the classifier (default 0.2, torchvision's). */
  dropout?: number;
}

/**
 * torchvision's MobileNetV2 (width 1.0): `features` (`0`: a 3×3 stride-2
 * convolution to 32 channels; `1` … `17`: InvertedResidual blocks; `18`: a
 * 1×1 convolution to 1280 channels, each with BatchNorm and ReLU6), global
 * average pooling, and `classifier` = Dropout (`0`) then Linear (`1`).
 * Input [N, 3, H, W] (ImageNet models use 224), output [N, numClasses].
 */
export class MobileNetV2 extends ImageClassifier {
  readonly headName = 'classifier' as const;
  /** The stem, the seven groups of blocks of the same settings, and the last 1×1 convolution. */
  readonly stages: readonly NamePattern[];
  /** The feature extractor: stem, 17 InvertedResidual blocks, last 1×1 convolution (the registered child). */
  get features(): Module {
    return this.getSubmodule('features');
  }

  /** A MobileNetV2 with `opts.numClasses` outputs. */
  constructor(opts: MobileNetV2Options = {}) {
    super();
    const { numClasses, init } = modelSetup('MobileNetV2', opts);
    const blocks: Module[] = [convBNReLU6(init, 3, 32, 3, 2)];
    const stages: NamePattern[] = ['features.0'];
    let inp = 32;
    for (const [t, c, n, s] of SETTINGS) {
      const first = blocks.length;
      for (let i = 0; i < n; i++) {
        blocks.push(new InvertedResidual(inp, c, i === 0 ? s : 1, t, init));
        inp = c;
      }
      const ids = Array.from({ length: n }, (_, i) => first + i).join('|');
      stages.push(new RegExp(`^features\\.(${ids})(\\.|$)`));
    }
    const lastChannel = 1280;
    blocks.push(convBNReLU6(init, inp, lastChannel, 1));
    stages.push(`features.${blocks.length - 1}`);
    this.stages = stages;
    this.registerModule('features', new Sequential(...blocks));
    this.registerModule(
      'classifier',
      new Sequential(
        new Dropout(opts.dropout ?? 0.2),
        new Linear(lastChannel, numClasses, {
          init: { weight: init.use(normal(0, 0.01)), bias: zeros },
        }),
      ),
    );
  }

  /** Logits [N, numClasses] of images [N, 3, H, W]. */
  forward(x: Tensor): Tensor {
    return runForward(this, x, () => {
      const f = this.features.call(x);
      // torchvision pools with F.adaptive_avg_pool2d(x, (1, 1)): no module, no state.
      return this.getSubmodule('classifier').call(mean(f, [2, 3]));
    });
  }
}

/** MobileNetV2 (Sandler et al. 2018): 3.5 M parameters with 1000 classes, depthwise convolutions. */
export function mobilenetV2(opts: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(opts);
}
