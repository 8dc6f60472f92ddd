/**
 * @nerve/data: Datasets, loaders, splits, preprocessing (centering, PCA, whitening) and built-in data for nerve.
 */
export {};
