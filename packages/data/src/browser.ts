/**
 * @nerve/data for browsers and bundlers: everything that needs no file system.
 * The loaders that read files (digits, CSV, IDX, Fashion-MNIST) live in the
 * Node entry (index.ts), which re-exports all of this; package.json's
 * `browser` condition picks this file, so a browser bundle has no `node:` import.
 * Images of the user's own are decoded here by the browser (createImageBitmap)
 * and in Node by pngjs / jpeg-js, then resized by the same resizeCenterCrop.
 */
export { TensorDataset } from './dataset.js';
export { DataLoader, type DataLoaderOptions, type BatchTransform } from './dataloader.js';
export { randomCropFlip, type RandomCropFlipOptions } from './augment.js';
export { trainValSplit, kFold, type TrainValSplitOptions, type KFoldOptions } from './split.js';
export { Preprocessor, type PreprocessorState } from './preprocess.js';
export { ZeroCenter, type ZeroCenterOptions } from './zero-center.js';
export { Standardize, type StandardizeOptions } from './standardize.js';
export { PCA, PCAWhiten, type PCAOptions, type PCAWhitenOptions } from './pca.js';
export { ZCAWhiten, type ZCAWhitenOptions } from './zca.js';
export { makeSpiral, type SpiralOptions } from './spiral.js';
export { makeCircles, type CirclesOptions } from './circles.js';
export { loadDigitsFromGzip } from './digits-decode.js';
export {
  standardizedTrainValTest,
  digitsTrainValFrom,
  type TrainValTest,
  type StandardizedTrainValTestOptions,
  type DigitsTrainValOptions,
  stratifiedSample,
} from './train-val-test.js';
export {
  decodeImageBrowser,
  loadImageFolderBrowser,
  loadImagesBrowser,
  type ImageSource,
  type LabelledImage,
  type NamedImage,
  type UnlabelledImage,
} from './image-browser.js';
export {
  resizeCenterCrop,
  IMAGE_EXTENSIONS,
  type ImageFolder,
  type ImageFolderOptions,
  type Rgba,
} from './image-pixels.js';
