/**
 * @nerve/train: The fit/evaluate loop with callbacks and checkpoints for nerve.
 */
export {};
