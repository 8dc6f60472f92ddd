/**
 * What `nerve tune show --report` shows, as data: a shared study read from
 * its storage alone. The table lists every trial (state, value, epochs
 * stored, attempts, the worker that holds or finished it, its parameters),
 * the best trial marked; the figure draws every trial's per-epoch curve from
 * the stored intermediate values, so pruned trials, and trials whose worker
 * was killed or interrupted (queued again with the epochs it had reported),
 * are drawn too.
 */
import type { LineFigure, Report, Series, Table } from '@nerve/plot';
import { type ShownStudy, type StoredTrial, formatNumber } from '@nerve/tune';

/** How many trials get their own colour and legend entry; the others are drawn grey. */
const NAMED = 8;

/** The best finished trial (complete, with a value), or null. */
export function bestStored(s: ShownStudy): StoredTrial | null {
  const sign = s.header.mode === 'min' ? 1 : -1;
  let best: StoredTrial | null = null;
  for (const t of s.trials) {
    if (t.state !== 'complete' || t.value === null || !Number.isFinite(t.value)) continue;
    if (best === null || sign * t.value < sign * (best.value as number)) best = t;
  }
  return best;
}

/** A trial's state as the report says it: a queued or running trial with stored epochs was cut short. */
function stateText(t: StoredTrial): string {
  if (t.state === 'queued' && t.intermediate.length > 0) return 'queued (interrupted)';
  return t.state;
}

function trialsTable(s: ShownStudy, best: StoredTrial | null): Table {
  const names = [...new Set(s.trials.flatMap((t) => Object.keys(t.params)))].filter(
    (k) => !(k === 'epochs' && new Set(s.trials.map((t) => t.params.epochs)).size === 1),
  );
  const show = (v: unknown) =>
    v === undefined ? null : typeof v === 'number' ? formatNumber(v) : String(v);
  return {
    title: `Every trial (${s.trials.length})`,
    columns: [
      'trial',
      'best',
      'state',
      s.header.metric,
      'epochs stored',
      'attempts',
      'worker',
      ...names,
    ],
    rows: s.trials.map((t) => [
      t.id,
      t === best ? '★' : '',
      stateText(t),
      t.value === null ? null : formatNumber(t.value),
      t.intermediate.length,
      t.attempts,
      t.worker,
      ...names.map((n) => show(t.params[n])),
    ]),
  };
}

function curvesFigure(s: ShownStudy, best: StoredTrial | null): LineFigure {
  const metric = s.header.metric;
  const sign = s.header.mode === 'min' ? 1 : -1;
  const drawn = s.trials.filter((t) => t.intermediate.some((e) => Number.isFinite(e.value)));
  // The best first, then the others by their last stored value: those get colours and names.
  const last = (t: StoredTrial) => t.value ?? t.intermediate[t.intermediate.length - 1].value;
  const ranked = [...drawn].sort((a, b) =>
    a === best ? -1 : b === best ? 1 : sign * (last(a) - last(b)),
  );
  const named = new Set(ranked.slice(0, NAMED));
  const values = drawn.flatMap((t) => t.intermediate.map((e) => e.value)).filter(Number.isFinite);
  const log = values.length > 0 && Math.min(...values) > 0 && /loss/i.test(metric);
  // Grey lines first, so the named ones are drawn over them; the legend lists the best first.
  const order = [...ranked.filter((t) => !named.has(t)), ...ranked.filter((t) => named.has(t))];
  const series: Series[] = order.map((t) => {
    const pts = t.intermediate.filter((e) => Number.isFinite(e.value) && (!log || e.value > 0));
    return {
      name: `trial ${t.id} ${t === best ? '★ best' : stateText(t)}`,
      x: pts.map((e) => e.epoch),
      y: pts.map((e) => e.value),
      ...(named.has(t) ? {} : { legend: false }),
    };
  });
  return {
    kind: 'line',
    id: 'trial-curves',
    title: `${metric} per epoch of every trial`,
    caption: `Every stored epoch of every trial, as the workers reported them: a pruned trial's curve ends where it was stopped, an interrupted one's where its worker stopped. The best trial and the ${NAMED - 1} next by their last value are named${drawn.length > NAMED ? `; the other ${drawn.length - NAMED} are grey` : ''}.`,
    x: { label: 'epoch', integer: true },
    y: { label: metric, log },
    series,
  };
}

/** The report of a shared study, from its storage alone. */
export function tuneShowReport(s: ShownStudy): Report {
  const counts = new Map<string, number>();
  for (const t of s.trials) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const best = bestStored(s);
  const searcher = (s.header.searcher as { kind?: string }).kind ?? 'unknown';
  const workers = new Set(s.trials.flatMap((t) => (t.worker ? [t.worker] : [])));
  const retried = s.trials.filter((t) => t.attempts > 1).length;
  return {
    title: `nerve tune show: study '${s.name}'`,
    subtitle: best
      ? `best: trial ${best.id}, ${s.header.metric} ${formatNumber(best.value as number)}`
      : 'no trial has completed yet',
    sections: [
      {
        heading: 'Study',
        text: [
          `In ${s.location}: ${searcher} search, ${s.trials.length} trials (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}), ${s.header.metric} (${s.header.mode}), seed ${s.header.seed}; ${workers.size === 1 ? '1 worker holds or finished' : `${workers.size} workers hold or finished`} its trials${retried > 0 ? `, ${retried} trial${retried === 1 ? ' was' : 's were'} claimed more than once (a worker died or gave it back)` : ''}.`,
          best
            ? `Best: trial ${best.id}, ${s.header.metric} ${formatNumber(best.value as number)}, ${JSON.stringify(best.params)}.`
            : 'No trial has completed yet.',
        ],
        tables: [trialsTable(s, best)],
      },
      { heading: 'Curves', figures: [curvesFigure(s, best)] },
    ],
  };
}
