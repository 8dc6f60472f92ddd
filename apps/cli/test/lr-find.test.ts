/**
 * `nerve lr-find` measures with what `nerve train` uses, names it, and
 * suggests a rate that trains well: on the digits MLP, training with the
 * suggestion lands within one point of the best rate of a small grid
 * (docs/lr-find.md has the full measurement, with the CNN).
 */
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DATASETS, MODELS, parseTrainArgs } from '../src/args.js';
import { formatLrFind, parseLrFindArgs, runLrFind } from '../src/lr-find-command.js';
import { main } from '../src/main.js';
import { runTrain } from '../src/train-command.js';

const silent = { log: () => {}, warn: () => {}, progress: { write: () => true, isTTY: false } };

/** Test accuracy of `nerve train <argv>`. */
async function testAccuracy(argv: string[]): Promise<number> {
  const r = await runTrain(parseTrainArgs(argv), silent);
  return r.testAccuracy;
}

describe('nerve lr-find', () => {
  it.each(
    DATASETS.flatMap((d) => MODELS.map((m) => [d, m] as const)),
  )('defaults to the optimizer and batch size of nerve train (%s, %s)', (dataset, model) => {
    const flags = ['--dataset', dataset, '--model', model];
    const find = parseLrFindArgs(flags);
    const train = parseTrainArgs(flags);
    expect(find.optimizer).toBe(train.optimizer);
    expect(find.batchSize).toBe(train.batchSize);
    const sgd = [...flags, '--optimizer', 'sgd'];
    expect(parseLrFindArgs(sgd).batchSize).toBe(parseTrainArgs(sgd).batchSize);
  });

  it("names the optimizer and prints a train command that mirrors lr-find's flags", async () => {
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s), isTTY: false },
      stderr: { write: () => true, isTTY: false },
    };
    const flags = ['--optimizer', 'rmsprop', '--batch-size', '48', '--seed', '3'];
    expect(await main(['lr-find', ...flags, '--steps', '40', '--json'], io)).toBe(0);
    const r = JSON.parse(out.join(''));
    expect(r.optimizer).toBe('rmsprop');
    const argv = r.command.split(' ');
    expect(argv.slice(0, 3)).toEqual(['pnpm', 'nerve', 'train']);
    const t = parseTrainArgs(argv.slice(3));
    expect(t).toMatchObject({ optimizer: 'rmsprop', batchSize: 48, seed: 3 });
    expect(t.lr).toBeCloseTo(r.suggestion, 1 - Math.floor(Math.log10(r.suggestion)));
    const text = formatLrFind(r);
    expect(text).toContain(`suggested learning rate for rmsprop: `);
    expect(text).toContain(`train with it: ${r.command}`);
  });

  it('its suggestion trains the digits MLP within one point of the best rate of a grid', async () => {
    const found = await runLrFind(parseLrFindArgs([]));
    expect(found.optimizer).toBe('adam');
    // Fewer epochs than the default 40 keep the test short; the grid spans
    // the rates that train (docs/lr-find.md: 1e-4 to 0.1).
    const epochs = ['--epochs', '10'];
    const suggested = await testAccuracy([...found.command.split(' ').slice(3), ...epochs]);
    let best = 0;
    for (const lr of [3e-4, 1e-3, 3e-3, 1e-2, 3e-2]) {
      best = Math.max(best, await testAccuracy(['--lr', String(lr), ...epochs]));
    }
    expect(suggested, `suggestion ${found.suggestion}`).toBeGreaterThanOrEqual(best - 0.01);
  });
});
