/**
 * @nerve/data: Datasets, loaders, splits, preprocessing (centering, PCA, whitening) and built-in data for nerve.
 */
export { TensorDataset } from './dataset.js';
export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export { trainValSplit, kFold, type TrainValSplitOptions, type KFoldOptions } from './split.js';
export { Preprocessor, type PreprocessorState } from './preprocess.js';
export { ZeroCenter, type ZeroCenterOptions } from './zero-center.js';
export { Standardize, type StandardizeOptions } from './standardize.js';
export { PCA, PCAWhiten, type PCAOptions, type PCAWhitenOptions } from './pca.js';
export { ZCAWhiten, type ZCAWhitenOptions } from './zca.js';
export { loadDigits, digitsSplit, type DigitsSplitOptions } from './digits.js';
export { makeSpiral, type SpiralOptions } from './spiral.js';
export { loadIdx } from './idx.js';
export {
  loadMnistFormat,
  loadFashionMnist,
  FASHION_MNIST_SYSTEM_DIR,
  type FashionMnistOptions,
} from './mnist.js';
export { loadCsv, type CsvOptions } from './csv.js';
