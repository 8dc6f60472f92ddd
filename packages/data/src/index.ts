/**
 * @nerve/data: Datasets, loaders, splits, preprocessing (centering, PCA, whitening) and built-in data for nerve.
 * This is the Node entry: browser.ts plus the loaders that read files.
 *
 * @module @nerve/data
 */
export * from './browser.js';
export { loadDigits, digitsSplit, digitsTrainVal, type DigitsSplitOptions } from './digits.js';
export { loadIdx } from './idx.js';
export {
  loadMnistFormat,
  loadFashionMnist,
  FASHION_MNIST_SYSTEM_DIR,
  type FashionMnistOptions,
} from './mnist.js';
export { loadCsv, loadTable, type CsvOptions, type LoadTableOptions } from './csv.js';
export {
  parseTable,
  fitTableEncoding,
  encodeTable,
  checkTableEncoding,
  isMissing,
  MISSING_CELLS,
  type RawTable,
  type TableParseOptions,
  type TableEncoding,
  type TableEncodingOptions,
  type ColumnEncoding,
  type EncodedTable,
} from './table.js';
// resizeCenterCrop, the image types and the browser loaders come with browser.js.
export { loadImageFolder, loadImages, decodeImage } from './image-folder.js';
