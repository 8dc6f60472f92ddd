/**
 * @nerve/core — tensors, autograd, memory scopes, seeded random numbers and
 * the Backend contract. Import a backend package (e.g. `@nerve/backend-cpu`)
 * to run anything.
 *
 * @module @nerve/core
 */
import './ops/methods.js';

// The contract's types stay here for existing code; backend authors import
// them (and the helpers below) from '@nerve/core/backend' (backend-api.ts).
export type {
  AdamUpdateParams,
  AdamUpdateResult,
  Backend,
  BackendMemory,
  BatchNormBackwardResult,
  BatchNormParams,
  BatchNormStatsParams,
  BatchNormStatsResult,
  BinaryOp,
  Conv2dParams,
  DataId,
  FusedKernels,
  OptionalKernelName,
  OptionalKernels,
  GatherParams,
  LossReduction,
  MatmulParams,
  MaxPoolResult,
  ReduceOp,
  ReduceParams,
  RunningStatsUpdate,
  SgdUpdateParams,
  SgdUpdateBuffers,
  SoftmaxCrossEntropyParams,
  SoftmaxParams,
  StridedView,
  UnaryOp,
} from './backend.js';
export { FUSED_KERNEL_NAMES, OPTIONAL_KERNEL_FALLBACKS, OPTIONAL_KERNEL_NAMES } from './backend.js';
export {
  type DType,
  type TypedArray,
  BYTES_PER_ELEMENT,
  DTYPES,
  promoteTypes,
  typedArrayFor,
} from './dtype.js';
export { NerveError } from './errors.js';
export {
  BINARY_SCALAR,
  UNARY_SCALAR,
  erf as erfScalar,
  erfc as erfcScalar,
  sigmoid as sigmoidScalar,
} from './scalar-math.js';
export {
  registerBackend,
  setBackend,
  getBackend,
  getBackendName,
  listBackends,
  ready,
} from './registry.js';
export {
  type MemoryInfo,
  memory,
  tidy,
  keep,
  noGrad,
  isGradEnabled,
  withoutFusedKernels,
  withoutOptionalKernels,
} from './engine.js';
export { Tensor, type GradNode, type NestedArray } from './tensor.js';
export { backward, type BackwardOptions } from './autograd.js';
export {
  Generator,
  type GeneratorState,
  getDefaultGenerator,
  manualSeed,
  philox4x32,
} from './random.js';
export { MAX_ELEMENTS, broadcastShapes, contiguousStrides, sizeOf } from './shape.js';
export { isPointwiseConv } from './ops/conv-geometry.js';
export { gradCheck, type GradCheckOptions, type GradCheckResult } from './gradcheck.js';

export * from './ops/creation.js';
// Ops backed by optional kernels (with fallbacks composed from primitives).
export * from './ops/cross-entropy.js';
export * from './ops/optim-update.js';
export * from './ops/batchnorm-stats.js';
export * from './ops/batchnorm.js';
export * from './ops/random.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logicalAnd,
  logicalOr,
} from './ops/binary.js';
export * from './ops/unary.js';
export { where } from './ops/where.js';
export {
  sum,
  prod,
  mean,
  max,
  min,
  argmax,
  argmin,
  variance,
  std,
  logSumExp,
  type ReduceOptions,
  type VarianceOptions,
} from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export * from './ops/views.js';
export { concat, stack } from './ops/concat.js';
export { expand, broadcastTo } from './ops/sum-expand.js';
export { gather, indexSelect, oneHot } from './ops/indexing.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { conv2d, type Conv2dOptions } from './ops/conv.js';
export { maxPool2d, avgPool2d, type Pool2dOptions } from './ops/pooling.js';
export type { Pair } from './ops/conv-geometry.js';
export {
  describeFileKind,
  describeValue,
  type FileKindLike,
  type TensorLike,
} from './ops/util.js';
