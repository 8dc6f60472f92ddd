/**
 * The thresholds of `diagnose`, in a file of their own so that diagnose.ts
 * and the finders it calls (diagnose-loss.ts) both import them from below
 * instead of from each other.
 */

/** Thresholds of `diagnose` (defaults in brackets). */
export interface DiagnoseOptions {
  /**
   * Classes of a softmax cross-entropy loss [0: unknown]. With it, the first
   * step's loss is checked against ln C ('initial-loss') and overfitting
   * needs train accuracy clearly above chance (1/C + maxGap).
   */
  classes?: number;
  /** initial-loss: a first loss below initialLossLow × ln C is flagged [0.5]. */
  initialLossLow?: number;
  /** initial-loss: a first loss above initialLossHigh × ln C is flagged [2]. */
  initialLossHigh?: number;
  /** loss-exploding: the loss rose above explodeFactor × its minimum [3]. */
  explodeFactor?: number;
  /** loss-exploding: an epoch's mean loss above riseFactor × the first step's loss [1.5]. */
  riseFactor?: number;
  /** loss-flat: how many of the first epochs are examined [3]. */
  flatEpochs?: number;
  /** loss-flat: relative improvement over those epochs below this [0.01, i.e. 1%]. */
  flatTolerance?: number;
  /** overfitting: train accuracy − val accuracy above this [0.1]. */
  maxGap?: number;
  /** overfitting: val loss above its minimum by this fraction while train loss fell [0.1]. */
  valLossRise?: number;
  /** underfitting: final train accuracy below this [0.7]; set it for your task. */
  lowAccuracy?: number;
  /** underfitting: |train − val accuracy| at most this counts as "no gap" [0.05]. */
  noGap?: number;
  /** overfitting by val loss and underfitting need at least this many epochs [3]. */
  minEpochs?: number;
  /** update-ratio-high: median update ratio above this [1e-2]. */
  updateRatioHigh?: number;
  /** update-ratio-low: median update ratio below this [1e-4]. */
  updateRatioLow?: number;
  /** dead-relu: a layer's dead-unit fraction above this [0.5]. */
  deadFraction?: number;
  /** saturation: a layer's saturated-output fraction above this [0.5]. */
  saturationFraction?: number;
}
