/**
 * @nerve/metrics: Metrics and training monitors (the babysitting toolkit) for nerve.
 */
export {};
