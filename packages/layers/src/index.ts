/**
 * @nerve/layers: modules, layers, activations (incl. Maxout), losses and
 * safetensors state dicts.
 */
export * from './module.js';
