/**
 * `diagnose`: reads a training history (one EpochRecord per epoch, with the
 * monitors' numbers) and names what it sees, with advice. Every threshold is
 * an option; the defaults are documented on DiagnoseOptions.
 */
import { initialLoss } from './diagnose-initial.js';
import { lossFindings } from './diagnose-loss.js';
import type { DiagnoseOptions } from './diagnose-options.js';
import type { EpochRecord, Finding } from './types.js';
import { fmt, median } from './util.js';

export type { DiagnoseOptions } from './diagnose-options.js';

/** The default thresholds of `diagnose`. */
export const DIAGNOSE_DEFAULTS: Required<DiagnoseOptions> = {
  classes: 0,
  initialLossLow: 0.5,
  initialLossHigh: 2,
  explodeFactor: 3,
  riseFactor: 1.5,
  flatEpochs: 3,
  flatTolerance: 0.01,
  maxGap: 0.1,
  valLossRise: 0.1,
  lowAccuracy: 0.7,
  noGap: 0.05,
  minEpochs: 3,
  updateRatioHigh: 1e-2,
  updateRatioLow: 1e-4,
  deadFraction: 0.5,
  saturationFraction: 0.5,
};

/**
 * Findings that make others wrong or misleading, and the codes they drop.
 * Once the loss exploded or went NaN the network is broken: advice about
 * capacity, overfitting or a flat loss no longer applies. Dead or saturated
 * units explain a flat loss and a low accuracy better than a small rate or
 * a small model; too-large updates explain a flat loss. A flat loss or tiny
 * updates mean the model has not been given a chance, so capacity advice
 * would be premature. (Too-large updates do not drop underfitting: Adam at
 * healthy rates often has a ratio above 1e-2, and a small model stays small.)
 * On top of this table, no finding that says to raise the learning rate
 * survives one that says to lower it.
 */
export const OVERRULES: Readonly<Record<string, readonly string[]>> = {
  'loss-nan': ['loss-flat', 'overfitting', 'underfitting', 'update-ratio-low'],
  'loss-exploding': ['loss-flat', 'overfitting', 'underfitting', 'update-ratio-low'],
  'update-ratio-high': ['loss-flat', 'update-ratio-low'],
  'dead-relu': ['loss-flat', 'underfitting'],
  saturation: ['loss-flat', 'underfitting'],
  'loss-flat': ['underfitting'],
  'update-ratio-low': ['underfitting'],
};

/**
 * Codes: 'loss-nan', 'loss-exploding' (errors); 'initial-loss' (info, or a
 * warning when off; only with `classes`), 'loss-flat', 'overfitting',
 * 'underfitting', 'update-ratio-high', 'update-ratio-low', 'dead-relu',
 * 'saturation' (warnings). The findings never contradict each other (see
 * OVERRULES). Monitor keys are found exactly or behind a prefix
 * ending in '.', '/' or ':' (e.g. `monitors.updateRatio/median`):
 * `updateRatio/median` (the median over epochs is judged, so one epoch of a
 * decaying schedule does not decide), `activation/layer/<L>/dead` and
 * `activation/layer/<L>/saturated` (the last epoch that has them).
 */
export function diagnose(history: readonly EpochRecord[], opts: DiagnoseOptions = {}): Finding[] {
  const o = { ...DIAGNOSE_DEFAULTS, ...opts };
  if (history.length === 0) return [];
  const findings: Finding[] = [];
  const init = initialLoss(history, o.classes, o);
  if (init) findings.push(init);
  findings.push(...lossFindings(history, o));
  const over = overfitting(history, o);
  if (over) findings.push(over);
  else {
    const under = underfitting(history, o);
    if (under) findings.push(under);
  }
  findings.push(...updateRatio(history, o), ...activations(history, o));
  return reconcile(findings);
}

/** Drops what OVERRULES says, then any raise-the-rate advice beside lower-the-rate advice. */
function reconcile(findings: Finding[]): Finding[] {
  const dropped = new Set(findings.flatMap((f) => OVERRULES[f.code] ?? []));
  const kept = findings.filter((f) => !dropped.has(f.code));
  const lower = kept.some((f) => f.learningRate === 'lower');
  return lower ? kept.filter((f) => f.learningRate !== 'raise') : kept;
}

function overfitting(h: readonly EpochRecord[], o: Required<DiagnoseOptions>): Finding | null {
  const last = h[h.length - 1];
  const reasons: string[] = [];
  let best: EpochRecord | null = null;
  // A model at chance on its own training data has fitted nothing.
  if (o.classes >= 2 && isNum(last.trainAccuracy) && last.trainAccuracy < 1 / o.classes + o.maxGap)
    return null;
  if (
    isNum(last.trainAccuracy) &&
    isNum(last.valAccuracy) &&
    last.trainAccuracy - last.valAccuracy > o.maxGap
  ) {
    reasons.push(
      `train accuracy ${fmt(last.trainAccuracy)} vs val accuracy ${fmt(last.valAccuracy)} (gap ${fmt(last.trainAccuracy - last.valAccuracy)} > ${o.maxGap})`,
    );
  }
  const withVal = h.filter((r) => isNum(r.valLoss) && isNum(r.trainLoss));
  if (withVal.length >= o.minEpochs && withVal[withVal.length - 1] === last) {
    best = withVal.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
    const rose =
      best !== last && best.valLoss! > 0 && last.valLoss! > best.valLoss! * (1 + o.valLossRise);
    // Overfitting is val loss rising while train loss keeps falling: the last
    // train loss must lie within a tenth of its fall (since the best val
    // epoch) of its lowest. A train loss that bounced back up with the val
    // loss is a rate too high (Adam at 0.1 on the digits), not overfitting.
    const since = withVal.filter((r) => r.epoch >= best!.epoch);
    const low = Math.min(...since.map((r) => r.trainLoss));
    const falling = last.trainLoss <= low + 0.1 * (best.trainLoss - low);
    if (rose && last.trainLoss < best.trainLoss && falling) {
      reasons.push(
        `val loss rose from ${fmt(best.valLoss!)} (epoch ${best.epoch}) to ${fmt(last.valLoss!)} while train loss fell from ${fmt(best.trainLoss)} to ${fmt(last.trainLoss)}`,
      );
    } else {
      best = null;
    }
  }
  if (reasons.length === 0) return null;
  const stop = best ? ` (best val loss at epoch ${best.epoch})` : '';
  return {
    code: 'overfitting',
    severity: 'warning',
    message: `Overfitting: ${reasons.join('; ')}. Add regularization (weight decay, dropout), data augmentation or more data, use a smaller model, or stop early with EarlyStopping${stop}.`,
  };
}

function underfitting(h: readonly EpochRecord[], o: Required<DiagnoseOptions>): Finding | null {
  const last = h[h.length - 1];
  if (h.length < o.minEpochs || !isNum(last.trainAccuracy) || last.trainAccuracy >= o.lowAccuracy)
    return null;
  if (isNum(last.valAccuracy) && Math.abs(last.trainAccuracy - last.valAccuracy) > o.noGap)
    return null;
  const val = isNum(last.valAccuracy) ? ` and val accuracy ${fmt(last.valAccuracy)} (no gap)` : '';
  return {
    code: 'underfitting',
    severity: 'warning',
    message: `Underfitting: train accuracy ${fmt(last.trainAccuracy)}${val} after ${h.length} epochs is below ${o.lowAccuracy}; the model does not fit even the training data. Raise capacity (wider or deeper layers), train longer, tune the learning rate, or reduce regularization.`,
  };
}

function updateRatio(h: readonly EpochRecord[], o: Required<DiagnoseOptions>): Finding[] {
  const values = h.map((r) => monitorValue(r, 'updateRatio/median')).filter(isNum);
  if (values.length === 0) return [];
  const m = median(values);
  const over = `the median update/weight ratio ‖Δw‖/‖w‖ is ${fmt(m)} over ${values.length} epoch(s); healthy is about 1e-3 (CS231n rule of thumb)`;
  if (m > o.updateRatioHigh) {
    return [
      {
        code: 'update-ratio-high',
        severity: 'warning',
        learningRate: 'lower',
        message: `Updates too large: ${over}. Lower the learning rate (about ${factor(m / 1e-3)}× lower brings it to 1e-3).`,
      },
    ];
  }
  if (m === 0) {
    return [
      {
        code: 'update-ratio-low',
        severity: 'warning',
        learningRate: 'lower',
        message: `No parameter changed: ${over}. The gradients are zero, usually because every unit is dead (ReLUs pushed negative by a too-large step) or saturated; a higher learning rate will not help. Restart with a lower learning rate, He initialization, or LeakyReLU/ELU.`,
      },
    ];
  }
  if (m < o.updateRatioLow) {
    return [
      {
        code: 'update-ratio-low',
        severity: 'warning',
        learningRate: 'raise',
        message: `Updates too small: ${over}. Raise the learning rate (about ${factor(1e-3 / m)}× higher brings it to 1e-3); a tiny ratio at the end of a decaying schedule is expected.`,
      },
    ];
  }
  return [];
}

function activations(h: readonly EpochRecord[], o: Required<DiagnoseOptions>): Finding[] {
  const out: Finding[] = [];
  const dead = lastLayerValues(h, 'dead');
  const badDead = dead.values.filter(([, v]) => v > o.deadFraction);
  if (badDead.length > 0) {
    out.push({
      code: 'dead-relu',
      severity: 'warning',
      learningRate: 'lower',
      message: `Dead ReLUs in epoch ${dead.epoch}: ${describeLayers(badDead)} of units never output a positive value (> ${pct(o.deadFraction)}); they get no gradient and do not recover. Lower the learning rate, use He initialization with zero or small positive biases, check the input scale, or use LeakyReLU/ELU.`,
    });
  }
  const sat = lastLayerValues(h, 'saturated');
  const badSat = sat.values.filter(([, v]) => v > o.saturationFraction);
  if (badSat.length > 0) {
    out.push({
      code: 'saturation',
      severity: 'warning',
      learningRate: 'lower',
      message: `Saturated sigmoid/tanh units in epoch ${sat.epoch}: ${describeLayers(badSat)} of outputs lie within 0.02 of the asymptotes (> ${pct(o.saturationFraction)}), where gradients vanish. Normalize the inputs, use Xavier/Glorot initialization, lower the learning rate, add BatchNorm, or switch to ReLU.`,
    });
  }
  return out;
}

const factor = (x: number): string => (x >= 10 ? String(Math.round(x)) : x.toFixed(1));

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

function describeLayers(v: [string, number][]): string {
  return v.map(([n, f]) => `${pct(f)} in layer '${n}'`).join(', ');
}

/** Per-layer `activation/layer/<L>/<stat>` values of the last epoch that has any. */
function lastLayerValues(
  h: readonly EpochRecord[],
  stat: string,
): { epoch: number; values: [string, number][] } {
  const re = new RegExp(`(?:^|[./:])activation/layer/(.+)/${stat}$`);
  for (let i = h.length - 1; i >= 0; i--) {
    const values: [string, number][] = [];
    for (const [k, v] of Object.entries(h[i].monitors ?? {})) {
      const m = re.exec(k);
      if (m && isNum(v)) values.push([m[1], v]);
    }
    if (values.length > 0) return { epoch: h[i].epoch, values };
  }
  return { epoch: -1, values: [] };
}

/** A monitor value by key, exactly or behind a prefix ending in '.', '/' or ':'. */
export function monitorValue(r: EpochRecord, key: string): number | undefined {
  const m = r.monitors;
  if (!m) return undefined;
  if (key in m) return m[key];
  for (const [k, v] of Object.entries(m)) {
    if (k.endsWith(key) && '.:/'.includes(k[k.length - key.length - 1])) return v;
  }
  return undefined;
}

export function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
