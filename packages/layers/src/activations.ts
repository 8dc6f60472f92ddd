/**
 * Activation modules. Each names its function in `activation` so that
 * monitors and summaries can tell them apart without instanceof checks.
 */
import {
  NerveError,
  type Tensor,
  add,
  clamp,
  elu,
  full,
  gelu,
  gt,
  leakyRelu,
  mul,
  pow,
  relu,
  selu,
  sigmoid,
  silu,
  softplus,
  tanh,
  where,
} from '@nerve/core';
import { Module } from './module.js';
import { run } from './util.js';

/** A module that applies a nonlinearity (elementwise, except Maxout). */
export abstract class Activation extends Module {
  /** The function's name, e.g. 'relu' (see `activationModule`). */
  abstract readonly activation: string;
}

/** x, unchanged (PyTorch's nn.Identity); handy as a configurable no-op. */
export class Identity extends Activation {
  readonly activation = 'identity';
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** 1 / (1 + e^(−x)). */
export class Sigmoid extends Activation {
  readonly activation = 'sigmoid';
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh(x). */
export class Tanh extends Activation {
  readonly activation = 'tanh';
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** max(0, x) (Nair & Hinton 2010). */
export class ReLU extends Activation {
  readonly activation = 'relu';
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** min(max(0, x), 6) (Krizhevsky 2010; MobileNetV2's activation; PyTorch's nn.ReLU6). */
export class ReLU6 extends Activation {
  readonly activation = 'relu6';
  forward(x: Tensor): Tensor {
    return clamp(x, 0, 6);
  }
}

/** max(0, x) + negativeSlope·min(0, x) (Maas et al. 2013). */
export class LeakyReLU extends Activation {
  readonly activation = 'leakyRelu';
  constructor(
    /** Slope for x < 0 (default 0.01). */
    readonly negativeSlope = 0.01,
  ) {
    super();
    if (!Number.isFinite(negativeSlope)) {
      throw new NerveError('LeakyReLU', 'a finite negativeSlope', String(negativeSlope));
    }
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2015). */
export class ELU extends Activation {
  readonly activation = 'elu';
  constructor(
    /** α: the negative branch saturates at −α (default 1). */
    readonly alpha = 1,
  ) {
    super();
    if (!Number.isFinite(alpha)) throw new NerveError('ELU', 'a finite alpha', String(alpha));
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}

/** Scaled ELU with the self-normalising constants (Klambauer et al. 2017). */
export class SELU extends Activation {
  readonly activation = 'selu';
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * x·Φ(x) (Hendrycks & Gimpel 2016); approximate 'tanh' uses
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch's GELU(approximate='tanh').
 */
export class GELU extends Activation {
  readonly activation = 'gelu';
  constructor(
    /** 'none': the exact x·Φ(x) (default); 'tanh': the tanh approximation. */
    readonly approximate: 'none' | 'tanh' = 'none',
  ) {
    super();
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new NerveError('GELU', "approximate 'none' or 'tanh'", JSON.stringify(approximate));
    }
  }
  forward(x: Tensor): Tensor {
    if (this.approximate === 'none') return gelu(x);
    return run([x], () => {
      const inner = mul(add(x, mul(pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
      return mul(mul(x, 0.5), add(tanh(inner), 1));
    });
  }
}

/** x·σ(x), a.k.a. swish (Ramachandran et al. 2017). */
export class SiLU extends Activation {
  readonly activation = 'silu';
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * (1/β)·log(1 + e^(βx)), linear where βx > 20 (PyTorch's Softplus with the
 * default threshold 20; other thresholds are not supported).
 */
export class Softplus extends Activation {
  readonly activation = 'softplus';
  constructor(
    /** β: computes log(1 + e^(βx)) / β (default 1). */
    readonly beta = 1,
  ) {
    super();
    if (!Number.isFinite(beta) || beta <= 0) {
      throw new NerveError('Softplus', 'a finite beta > 0', String(beta));
    }
  }
  forward(x: Tensor): Tensor {
    if (this.beta === 1) return softplus(x);
    return run([x], () => mul(softplus(mul(x, this.beta)), 1 / this.beta));
  }
}

/**
 * max(0, x) + a·min(0, x) with learnable slope(s) a (He et al. 2015): one
 * shared slope, or one per channel (dimension 1; dimension 0 of a vector).
 */
export class PReLU extends Activation {
  readonly activation = 'prelu';
  /** Number of slopes (PyTorch's num_parameters; Module.numParameters() counts elements). */
  readonly numSlopes: number;
  /** The learned slopes [numSlopes]. */
  readonly weight: Tensor;

  constructor(numParameters = 1, init = 0.25) {
    super();
    if (!Number.isInteger(numParameters) || numParameters < 1) {
      throw new NerveError('PReLU', 'numParameters as an integer ≥ 1', String(numParameters));
    }
    if (!Number.isFinite(init)) throw new NerveError('PReLU', 'a finite init', String(init));
    this.numSlopes = numParameters;
    this.weight = this.registerParameter('weight', full([numParameters], init));
  }

  forward(x: Tensor): Tensor {
    const n = this.numSlopes;
    const ch = x.rank >= 2 ? 1 : 0;
    if (n > 1 && (x.rank === 0 || x.shape[ch] !== n)) {
      throw new NerveError(
        'PReLU',
        `an input with ${n} channels in dimension ${ch}`,
        `shape [${x.shape.join(',')}]`,
      );
    }
    return run([x, this.weight], () => {
      // One slope per channel broadcasts over the dimensions after the channel one.
      const slope =
        n > 1 ? this.weight.reshape([n, ...x.shape.slice(ch + 1).map(() => 1)]) : this.weight;
      return where(gt(x, 0), x, mul(slope, x));
    });
  }
}
