import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../src/experiment.js';
import { parseParam, resolveParams, runExperiment } from '../src/run.js';
import { nodeLabData } from '../src/node.js';

const toy: Experiment = {
  id: 'toy',
  title: 'Toy',
  claim: 'Two plus two is four.',
  topic: 'test',
  seed: 7,
  params: {
    n: { type: 'integer', default: 100, quick: 10, min: 1, description: 'count' },
    act: { type: 'choice', default: 'relu', choices: ['relu', 'tanh'], description: 'activation' },
  },
  async run(params, ctx) {
    return {
      findings: [
        {
          statement: 'n is positive',
          measured: `n = ${params.n}, seed ${ctx.seed}`,
          held: (params.n as number) > 0,
        },
      ],
      tables: [],
      figures: [],
    };
  },
};

describe('lab runner', () => {
  it('fills defaults, quick values and given values', () => {
    expect(resolveParams(toy, {}, false)).toEqual({ n: 100, act: 'relu' });
    expect(resolveParams(toy, {}, true)).toEqual({ n: 10, act: 'relu' });
    expect(resolveParams(toy, { act: 'tanh' }, true)).toEqual({ n: 10, act: 'tanh' });
  });

  it('refuses unknown names, wrong types and out-of-range values, naming the parameter', () => {
    expect(() => resolveParams(toy, { m: 1 }, false)).toThrow(
      /lab toy: expected a parameter \(one of n, act\), received 'm'/,
    );
    expect(() => resolveParams(toy, { n: 1.5 }, false)).toThrow(/an integer for 'n'/);
    expect(() => resolveParams(toy, { n: 0 }, false)).toThrow(/'n' in \[1, ∞\]/);
    expect(() => resolveParams(toy, { act: 'elu' }, false)).toThrow(/'act' one of relu, tanh/);
    expect(() => parseParam(toy, 'n', 'ten')).toThrow(/a number for --n, received 'ten'/);
    expect(parseParam(toy, 'n', '12')).toBe(12);
  });

  it('runs with the default seed and reports whether every finding held', async () => {
    const r = await runExperiment(toy, { data: nodeLabData, quick: true });
    expect(r.seed).toBe(7);
    expect(r.held).toBe(true);
    expect(r.findings[0]?.measured).toBe('n = 10, seed 7');
    expect(r.seconds).toBeGreaterThanOrEqual(0);
  });
});
