/**
 * @nerve/optim: Optimizers, param groups, learning-rate schedules and gradient clipping for nerve.
 */
export {};
