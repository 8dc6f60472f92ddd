/**
 * The lab's experiments as the site lists them (id, title), in lecture
 * order. The VitePress config and the dynamic route load in Node before any
 * bundling, where the workspace packages' TypeScript sources cannot be
 * imported, so the list is written here; apps/site/test/experiments.test.ts
 * checks that it equals @nerve/lab's registry.
 */
export const siteExperiments: readonly { id: string; title: string }[] = [
  { id: 'init-depth', title: 'Weight initialization in a deep network' },
  { id: 'activations', title: 'Activation functions' },
  { id: 'dead-relu', title: 'Dead ReLUs' },
  { id: 'preprocessing', title: 'Data preprocessing' },
  { id: 'batchnorm', title: 'Batch normalization' },
  { id: 'babysitting', title: 'Babysitting the learning process' },
  { id: 'search', title: 'Hyperparameter search' },
  { id: 'transfer', title: 'Transfer learning: how much to retrain for how much data' },
];
