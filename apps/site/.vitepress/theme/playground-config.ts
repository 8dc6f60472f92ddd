/**
 * The playground's knobs and their choices: plain data with no imports, so
 * that the page (PlaygroundDemo.vue) can show them without pulling the
 * library into the main thread's JavaScript; the worker and the Node test
 * build the network from them (playground-core.ts).
 */
export type DatasetName = 'spiral' | 'circles' | 'digits';
export type InitName = 'small' | 'xavier' | 'he';
export type OptimizerChoice = 'sgd' | 'momentum' | 'adam';

/** The knobs. */
export interface PlaygroundConfig {
  dataset: DatasetName;
  /** An `activationModule` name. */
  activation: string;
  init: InitName;
  /** Hidden layers. */
  depth: number;
  /** Units per hidden layer. */
  width: number;
  batchNorm: boolean;
  lr: number;
  optimizer: OptimizerChoice;
  /** Drop probability after each hidden activation (0: none). */
  dropout: number;
  /** L2 weight decay of the optimizer (coupled, PyTorch's `weight_decay`). */
  weightDecay: number;
  batchSize: number;
  seed: number;
}

/** The activations offered (the lecture's, plus GELU and SiLU). */
export const ACTIVATIONS: readonly { id: string; label: string }[] = [
  { id: 'sigmoid', label: 'sigmoid' },
  { id: 'tanh', label: 'tanh' },
  { id: 'relu', label: 'ReLU' },
  { id: 'leakyRelu', label: 'leaky ReLU' },
  { id: 'elu', label: 'ELU' },
  { id: 'gelu', label: 'GELU' },
  { id: 'silu', label: 'SiLU' },
];

export const INITS: readonly { id: InitName; label: string }[] = [
  { id: 'small', label: 'small random 0.01·N(0,1)' },
  { id: 'xavier', label: 'Xavier/Glorot' },
  { id: 'he', label: 'He/Kaiming' },
];

export const OPTIMIZERS: readonly { id: OptimizerChoice; label: string }[] = [
  { id: 'sgd', label: 'SGD' },
  { id: 'momentum', label: 'SGD + momentum 0.9' },
  { id: 'adam', label: 'Adam' },
];

/**
 * The defaults: a two-hidden-layer ReLU net with He init and Adam at 0.01,
 * which separates the spiral in a few hundred epochs (see the Node test).
 */
export const PLAYGROUND_DEFAULTS: PlaygroundConfig = {
  dataset: 'spiral',
  activation: 'relu',
  init: 'he',
  depth: 2,
  width: 32,
  batchNorm: false,
  lr: 0.01,
  optimizer: 'adam',
  dropout: 0,
  weightDecay: 0,
  batchSize: 16,
  seed: 0,
};
