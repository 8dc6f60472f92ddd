/**
 * @nerve/lab: the lecture's claims as experiments that one command
 * reproduces. Runs in Node and in browsers; the caller registers a backend
 * and passes the data loaders (see LabData).
 *
 * @module @nerve/lab
 */
export * from './experiment.js';
export * from './registry.js';
export * from './run.js';
