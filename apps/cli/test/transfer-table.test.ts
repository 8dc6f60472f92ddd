/**
 * The transfer-learning table's script (bench/transfer-table.ts) in its
 * --quick mode: every cell (similar / different × little / a lot) and every
 * method (scratch, head, last1, last2, all) runs through the CLI's own
 * `nerve train`, `nerve finetune` and `nerve eval` on generated PNG folders,
 * and the numbers are sane. Structure and sanity only: the accuracies at
 * these toy sizes say nothing about which method wins (the full run in
 * apps/cli/bench/transfer-table.json does). Measured 94 s at load average
 * 14 and 128 s at 25 on 2 cores (each of the 41 commands loads its folder;
 * the commands' own work is small); the timeout is for a loaded machine.
 * Needs Debian's dataset-fashion-mnist (CI installs it).
 */
import '@nerve/backend-cpu';
import { existsSync } from 'node:fs';
import { memory } from '@nerve/core';
import { FASHION_MNIST_SYSTEM_DIR } from '@nerve/data';
import { describe, expect, it } from 'vitest';
import {
  DOMAINS,
  METHODS,
  SIZES,
  formatTable,
  runTable,
  tableConfig,
} from '../bench/transfer-table.js';

const haveData = existsSync(FASHION_MNIST_SYSTEM_DIR);

/**
 * The least accuracy that a classifier guessing among `classes` classes
 * reaches on `n` test images with probability below about 3e-5: chance plus
 * four binomial standard deviations, sqrt(p(1 − p)/n) with p = 1/classes.
 */
function beatsChance(classes: number, n: number): number {
  const p = 1 / classes;
  return p + 4 * Math.sqrt((p * (1 - p)) / n);
}

describe('the transfer-learning table (--quick)', () => {
  it.runIf(haveData)(
    'produces every cell through nerve train / finetune / eval, with sane accuracies',
    async () => {
      const before = memory().numTensors;
      const c = tableConfig(true);
      const r = await runTable(c);
      console.log(`${formatTable(r)}\n${r.seconds.toFixed(1)} s`);
      // The 41 commands ran in-process (main()) and freed everything they made, as did
      // the folder writer: the live tensor count is exactly where it started.
      expect(memory().numTensors).toBe(before);

      // Every cell × method × seed ran once, and the summary has every cell.
      expect(r.runs).toHaveLength(DOMAINS.length * SIZES.length * METHODS.length * c.seeds.length);
      expect(r.cells.map((x) => `${x.domain}-${x.size}`)).toEqual(
        DOMAINS.flatMap((d) => SIZES.map((s) => `${d}-${s}`)),
      );
      for (const cell of r.cells) {
        expect(Object.keys(cell.methods)).toEqual([...METHODS]);
        for (const m of METHODS) {
          const v = cell.methods[m];
          expect(v.accuracy).toHaveLength(c.seeds.length);
          for (const a of v.accuracy) expect(a).toBeGreaterThanOrEqual(0);
          for (const a of v.accuracy) expect(a).toBeLessThanOrEqual(1);
          expect(v.seconds).toBeGreaterThan(0);
        }
        expect(METHODS).toContain(cell.best);
        // 72% of the folder trains (20% held out for test, 10% of the rest for validation).
        const perClass =
          c.perClass[cell.domain as 'similar' | 'different'][cell.size as 'little' | 'lot'];
        const classes = cell.domain === 'similar' ? 5 : 10;
        expect(cell.trainImages).toBeGreaterThan(0.6 * perClass * classes);
        expect(cell.trainImages).toBeLessThan(0.8 * perClass * classes);
      }
      // The folders hold what the config asks: 5 old classes to pretrain on, 5 new, 10 digits.
      expect(r.images.pretrain).toBe(5 * c.pretrainPerClass);
      expect(r.images['similar-little']).toBe(5 * c.perClass.similar.little);
      expect(r.images['similar-test']).toBe(5 * c.testPerClass.similar);
      expect(r.images['different-test']).toBe(10 * c.testPerClass.different);

      // The commands are the user's: pretraining, then each method's flags.
      expect(r.commands[0]).toMatch(
        /^nerve train --images pretrain --size 28 --grayscale --model lenet5 /,
      );
      expect(r.commands).toContainEqual(
        expect.stringMatching(
          /^nerve finetune --from pretrained\.safetensors .*--freeze backbone$/,
        ),
      );
      expect(r.commands).toContainEqual(expect.stringMatching(/--unfreeze-last 2$/));
      expect(r.commands).toContainEqual(
        expect.stringMatching(/^nerve eval --checkpoint run\.safetensors --images similar-test$/),
      );

      // Sanity: the pretrained network learned its 5 classes (~1/5 of the 500-image folder is its test part).
      expect(r.pretrain.accuracy).toBeGreaterThan(beatsChance(5, 100));
      const cell = (d: string, s: string) => r.cells.find((x) => x.domain === d && x.size === s);
      // A linear head on the frozen pretrained features separates new classes of the same
      // kind from 10 images each (quick run, measured 0.415 on 200 test images).
      expect(cell('similar', 'little')?.methods.head.mean).toBeGreaterThan(
        beatsChance(5, 5 * c.testPerClass.similar),
      );
      // Training on digits works (measured 0.78 from scratch on ~290 of them).
      expect(cell('different', 'lot')?.methods.scratch.mean).toBeGreaterThan(
        beatsChance(10, 10 * c.testPerClass.different),
      );
    },
    600_000,
  );
});
