/**
 * `pnpm lab:figures [id …]`: runs every registered lab experiment (or the
 * ones named) at its default settings and seed, and writes each of its
 * figures to docs/lab/<experiment-id>-<figure-id>.svg for docs/lab.md to
 * embed. Each file is written atomically (a temporary renamed over it); an
 * experiment's SVGs from an earlier run that it no longer draws are removed.
 */
import '@nerve/backend-cpu';
import { readdirSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Experiment, type LabData, experiments, runExperiment } from '@nerve/lab';
import { nodeLabData } from '@nerve/lab/node';
import { figureToSvg } from '@nerve/plot';

const SAFE = /^[a-z0-9][a-z0-9-]*$/;

/** Writes `text` to `path` through a temporary in the same folder. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** One line per experiment: its id, the files written, seconds and whether its claim held. */
export interface FiguresRun {
  id: string;
  files: string[];
  seconds: number;
  held: boolean;
}

/**
 * Runs `exps` at their defaults and writes their figures into `outDir`.
 * `knownIds` are all experiment ids (default: those of `exps`), so that
 * cleaning up after `toy` never removes the files of an experiment `toy-b`.
 */
export async function writeLabFigures(
  exps: readonly Experiment[],
  outDir: string,
  data: LabData = nodeLabData,
  log: (line: string) => void = () => {},
  knownIds: readonly string[] = exps.map((e) => e.id),
): Promise<FiguresRun[]> {
  mkdirSync(outDir, { recursive: true });
  const runs: FiguresRun[] = [];
  for (const exp of exps) {
    if (!SAFE.test(exp.id))
      throw new Error(`lab-figures: experiment id '${exp.id}' is not a safe file name`);
    const r = await runExperiment(exp, { data });
    const files: string[] = [];
    for (const fig of r.figures) {
      if (!SAFE.test(fig.id))
        throw new Error(`lab-figures: figure id '${fig.id}' of ${exp.id} is not a safe file name`);
      const name = `${exp.id}-${fig.id}.svg`;
      if (files.includes(name))
        throw new Error(`lab-figures: ${exp.id} has two figures with the id '${fig.id}'`);
      writeAtomic(join(outDir, name), `${figureToSvg(fig)}\n`);
      files.push(name);
    }
    // Figures this experiment no longer draws; another experiment's id may share the prefix.
    const others = knownIds
      .filter((id) => id !== exp.id && id.startsWith(`${exp.id}-`))
      .map((id) => `${id}-`);
    for (const f of readdirSync(outDir)) {
      if (
        f.startsWith(`${exp.id}-`) &&
        f.endsWith('.svg') &&
        !files.includes(f) &&
        !others.some((o) => f.startsWith(o))
      ) {
        rmSync(join(outDir, f));
      }
    }
    runs.push({ id: exp.id, files, seconds: r.seconds, held: r.held });
    log(
      `${exp.id}: ${files.length} figure${files.length === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s, claim ${r.held ? 'held' : 'did NOT hold'}`,
    );
  }
  return runs;
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  const ids = process.argv.slice(2);
  const unknown = ids.filter((id) => !experiments.some((e) => e.id === id));
  if (unknown.length > 0) {
    console.error(
      `lab-figures: unknown experiment ${unknown.join(', ')} (known: ${experiments.map((e) => e.id).join(', ') || 'none'})`,
    );
    process.exit(2);
  }
  const chosen = ids.length === 0 ? experiments : experiments.filter((e) => ids.includes(e.id));
  const out = fileURLToPath(new URL('../docs/lab/', import.meta.url));
  const all = experiments.map((e) => e.id);
  writeLabFigures(chosen, out, nodeLabData, (l) => console.log(l), all).then(
    (runs) =>
      console.log(`wrote ${runs.reduce((n, r) => n + r.files.length, 0)} SVG files to docs/lab/`),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
