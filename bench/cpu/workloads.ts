/**
 * The workloads of `pnpm bench:cpu` and the seeded data they run on. The
 * orchestrator sends a workload object to every library's process; each one
 * builds the same inputs, labels and initial weights from `uniform`/`labels`
 * (torch_cpu.py carries a NumPy port of the generator), so the first-step
 * losses must agree across libraries: a check that all of them do the same work.
 */

/** C = op(A)·op(B) with C [m×n]; A is stored [k×m] when transA, B [n×k] when transB. */
export interface MatmulWorkload {
  kind: 'matmul';
  name: string;
  label: string;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
}

/** One weight tensor in PyTorch's layout (Linear [out, in], Conv2d [out, in, kh, kw]). */
export interface ParamSpec {
  shape: number[];
  /** Weights and biases are uniform in ±1/√fanIn, the bound of PyTorch's default init. */
  fanIn: number;
  seed: number;
}

/** A training step: forward, softmax cross-entropy, backward, SGD or Adam, loss read back. */
export interface TrainWorkload {
  kind: 'mlp' | 'cnn';
  name: string;
  label: string;
  /** MLP layer widths, input first (default 784-256-128-10). */
  widths?: number[];
  /** The optimizer (default SGD at `lr`); Adam with β (0.9, 0.999), eps 1e-8. */
  optimizer?: 'sgd' | 'adam';
  /** Input shape, NCHW for the CNN. */
  inputShape: number[];
  classes: number;
  lr: number;
  /** Weight, bias, weight, bias, … in layer order. */
  params: ParamSpec[];
  inputSeed: number;
  labelSeed: number;
}

/**
 * A depthwise 3×3 convolution (groups = channels, MobileNetV2's inverted
 * residual blocks): forward, then both gradients from a fixed upstream
 * gradient dy (y.backward(dy)), no bias.
 */
export interface DepthwiseWorkload {
  kind: 'depthwise';
  name: string;
  label: string;
  /** Input [N, C, H, W]; the weight is [C, 1, 3, 3]. */
  inputShape: number[];
  stride: number;
  padding: number;
  /**
   * nerve only: run the per-group path (the groupedConv2d kernels hidden),
   * what nerve did before issue 14: the "before" row of the same run.
   */
  perGroup?: boolean;
  inputSeed: number;
  weightSeed: number;
  gradSeed: number;
}

export type Workload = MatmulWorkload | TrainWorkload | DepthwiseWorkload;

function mm(name: string, label: string, m: number, k: number, n: number, t = ''): MatmulWorkload {
  return { kind: 'matmul', name, label, m, k, n, transA: t === 'A', transB: t === 'B' };
}

function dense(inF: number, outF: number, seed: number): ParamSpec[] {
  return [
    { shape: [outF, inF], fanIn: inF, seed },
    { shape: [outF], fanIn: inF, seed: seed + 1 },
  ];
}

function conv(inC: number, outC: number, k: number, seed: number): ParamSpec[] {
  const fanIn = inC * k * k;
  return [
    { shape: [outC, inC, k, k], fanIn, seed },
    { shape: [outC], fanIn, seed: seed + 1 },
  ];
}

/** Every workload, in table order. */
export const WORKLOADS: Workload[] = [
  mm('mm128', 'matmul 128³', 128, 128, 128),
  mm('mm256', 'matmul 256³', 256, 256, 256),
  mm('mm512', 'matmul 512³', 512, 512, 512),
  mm('mm1024', 'matmul 1024³', 1024, 1024, 1024),
  mm('fc1', 'matmul 128×784·784×256', 128, 784, 256),
  mm('fc2', 'matmul 128×256·256×128', 128, 256, 128),
  // The two backward products of fc1: dW = Xᵀ·dY (X [128×784], dY [128×256])
  // and dX = dY·Wᵀ (W [784×256]); tfjs-wasm's AᵀB path is far slower than its AB.
  mm('fc1-dW', 'matmul AᵀB 784×128·128×256', 784, 128, 256, 'A'),
  mm('fc1-dX', 'matmul ABᵀ 128×256·256×784', 128, 256, 784, 'B'),
  {
    kind: 'mlp',
    name: 'mlp',
    label: 'MLP 784-256-128-10 b128 steps/s',
    inputShape: [128, 784],
    classes: 10,
    lr: 0.01,
    params: [...dense(784, 256, 10), ...dense(256, 128, 12), ...dense(128, 10, 14)],
    inputSeed: 1,
    labelSeed: 2,
  },
  {
    // The site's digits demo (8×8 digits): small enough that per-op overhead, not FLOPs,
    // sets the step time (issue 16).
    kind: 'mlp',
    name: 'digits',
    label: 'MLP 64-128-64-10 b32 Adam steps/s',
    widths: [64, 128, 64, 10],
    optimizer: 'adam',
    inputShape: [32, 64],
    classes: 10,
    lr: 0.01,
    params: [...dense(64, 128, 40), ...dense(128, 64, 42), ...dense(64, 10, 44)],
    inputSeed: 5,
    labelSeed: 6,
  },
  {
    // conv3×3 (padding 1) 16 → ReLU → maxpool 2 → conv3×3 32 → ReLU → maxpool 2 → dense 10
    kind: 'cnn',
    name: 'cnn',
    label: 'CNN 28²→c16→p→c32→p→10 b64 steps/s',
    inputShape: [64, 1, 28, 28],
    classes: 10,
    lr: 0.01,
    params: [...conv(1, 16, 3, 20), ...conv(16, 32, 3, 22), ...dense(32 * 7 * 7, 10, 24)],
    inputSeed: 3,
    labelSeed: 4,
  },
  // MobileNetV2's depthwise layers at 56² (144 channels after expansion), batch 8.
  depthwise(1, false),
  depthwise(2, false),
  depthwise(1, true),
  depthwise(2, true),
];

function depthwise(stride: number, perGroup: boolean): DepthwiseWorkload {
  const path = perGroup ? ' (per-group path)' : '';
  return {
    kind: 'depthwise',
    name: `dw-s${stride}${perGroup ? '-pergroup' : ''}`,
    label: `depthwise 3×3 s${stride} 8×144×56² fwd+bwd${path} steps/s`,
    inputShape: [8, 144, 56, 56],
    stride,
    padding: 1,
    ...(perGroup ? { perGroup } : {}),
    inputSeed: 30,
    weightSeed: 31,
    gradSeed: 32 + stride,
  };
}

/** The depthwise weight [C, 1, 3, 3] and the output shape of a workload. */
export function depthwiseShapes(w: DepthwiseWorkload): { weight: number[]; output: number[] } {
  const [n, c, h, wd] = w.inputShape;
  const out = (size: number) => Math.floor((size + 2 * w.padding - 3) / w.stride) + 1;
  return { weight: [c, 1, 3, 3], output: [n, c, out(h), out(wd)] };
}

/** Names accepted by --workloads besides single workload names. */
export const WORKLOAD_GROUPS: Record<string, string[]> = {
  matmul: WORKLOADS.filter((w) => w.kind === 'matmul').map((w) => w.name),
  square: ['mm128', 'mm256', 'mm512', 'mm1024'],
  train: ['mlp', 'digits', 'cnn'],
  depthwise: ['dw-s1', 'dw-s2', 'dw-s1-pergroup', 'dw-s2-pergroup'],
};

/** Floating-point operations of one matmul (a multiply-add counts as two). */
export function matmulFlops(w: MatmulWorkload): number {
  return 2 * w.m * w.k * w.n;
}

/** Stored shapes of A and B (transposed operands are stored the other way round). */
export function matmulShapes(w: MatmulWorkload): [number[], number[]] {
  return [w.transA ? [w.k, w.m] : [w.m, w.k], w.transB ? [w.n, w.k] : [w.k, w.n]];
}

/** Chris Wellons' lowbias32 integer hash: a counter-based generator, trivially ported. */
function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Element i of stream `seed`: hash32((seed·0x9E3779B9 + i) mod 2³²). */
function bits(seed: number, i: number): number {
  return hash32(Math.imul(seed, 0x9e3779b9) + i);
}

/** n float32 values uniform in [-scale, scale). */
export function uniform(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bits(seed, i) / 4294967296) * 2 - 1) * scale;
  return out;
}

/** n class labels in [0, classes). */
export function labels(n: number, seed: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = bits(seed, i) % classes;
  return out;
}

/** The initial values of one parameter. */
export function paramValues(p: ParamSpec): Float32Array {
  return uniform(
    p.shape.reduce((a, b) => a * b, 1),
    p.seed,
    1 / Math.sqrt(p.fanIn),
  );
}

/** The layer widths of an MLP workload, input first. */
export function mlpWidths(w: TrainWorkload): number[] {
  return w.widths ?? [784, 256, 128, 10];
}

/** Product of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
