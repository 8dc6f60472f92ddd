/**
 * `nerve eval` checks a checkpoint before it builds anything: the model
 * description against the tensors the header declares, the data set by name,
 * and the file itself with bounded reads. A bad checkpoint is a runtime error:
 * exit code 1 and one line, without the usage text.
 */
import '@nerve/backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@nerve/core';
import { loadSafetensors, save, saveSafetensors } from '@nerve/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { capture } from './helpers.js';
import { type ModelSpec, buildModel, expectedState } from '../src/models.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPIRAL: ModelSpec = {
  kind: 'mlp',
  inputShape: [2],
  classes: 3,
  hidden: [8],
  activation: 'relu',
  batchnorm: false,
  init: 'default',
  seed: 0,
};

/** A checkpoint as nerve train --out writes it (weights + the `nerve` description). */
async function checkpoint(name: string, spec: ModelSpec, describeAs?: unknown): Promise<string> {
  const path = join(dir, name);
  const model = buildModel(spec);
  await save(model, path, {
    nerve: JSON.stringify(describeAs ?? { spec, dataset: 'spiral' }),
  });
  model.dispose();
  return path;
}

/** Runs eval; expects exit 1 and one `nerve: ` line matching `pattern`, with no usage text. */
async function failsAtRuntime(path: string, pattern: RegExp): Promise<void> {
  const c = capture();
  expect(await main(['eval', '--checkpoint', path], c.io)).toBe(1);
  const lines = c.err().trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^nerve: /);
  expect(lines[0]).toMatch(pattern);
  expect(c.err()).not.toMatch(/usage: nerve/);
}

describe('nerve eval checks the checkpoint before building', () => {
  it('evaluates a valid checkpoint', async () => {
    const path = await checkpoint('ok.safetensors', SPIRAL);
    const c = capture();
    expect(await main(['eval', '--checkpoint', path, '--json'], c.io)).toBe(0);
    const r = JSON.parse(c.out());
    expect(r.dataset).toBe('spiral');
    expect(r.count).toBeGreaterThan(0);
  });

  it('refuses a description of a huge network that the tensors do not back, without allocating it', async () => {
    // A small file whose description says hidden [16384, 16384] (a 1 GiB network).
    const huge = { spec: { ...SPIRAL, hidden: [16384, 16384] }, dataset: 'spiral' };
    const path = await checkpoint('huge.safetensors', SPIRAL, huge);
    const rss = process.resourceUsage().maxRSS;
    const tensors = memory().numTensors;
    await failsAtRuntime(
      path,
      /does not hold the network its description names \(nothing was built\).*'1\.weight' is F32 \[8,2\] where the description needs float32 \[16384,2\]/,
    );
    expect(memory().numTensors).toBe(tensors);
    expect(process.resourceUsage().maxRSS - rss).toBeLessThan(100 * 1024);
  });

  it('refuses a data set it does not know instead of falling back to the spiral', async () => {
    const path = await checkpoint('unknown-data.safetensors', SPIRAL, {
      spec: SPIRAL,
      dataset: 'imagenet',
    });
    await failsAtRuntime(path, /dataset "imagenet" is not one of digits, fashion-mnist, spiral/);
  });

  it('refuses descriptions with fields out of range or of the wrong type, naming each', async () => {
    const bad = {
      spec: { ...SPIRAL, hidden: [8, -1], classes: 0, activation: 'swish2', init: 7 },
      dataset: 'spiral',
    };
    const path = await checkpoint('bad-spec.safetensors', SPIRAL, bad);
    await failsAtRuntime(
      path,
      /hidden \[8,-1\].*classes is not a positive integer.*activation "swish2".*init 7/,
    );
    const proto = await checkpoint(
      'proto.safetensors',
      SPIRAL,
      JSON.parse('{"__proto__":{"spec":1},"dataset":"spiral"}'),
    );
    await failsAtRuntime(proto, /no 'spec' object/);
  });

  it('refuses a description that does not match the data set', async () => {
    const digitsLike = { ...SPIRAL, inputShape: [64], classes: 10 };
    const path = await checkpoint('mismatch.safetensors', digitsLike, {
      spec: digitsLike,
      dataset: 'spiral',
    });
    await failsAtRuntime(
      path,
      /expects inputs of shape \[64\] in 10 classes, but spiral gives \[2\] in 3/,
    );
  });

  it('a corrupt, missing or non-regular checkpoint is a one-line runtime error', async () => {
    const good = readFileSync(await checkpoint('whole.safetensors', SPIRAL));
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, good.subarray(0, good.length - 10));
    await failsAtRuntime(cut, /declares .* bytes .* but the data section has/);
    await failsAtRuntime(join(dir, 'missing.safetensors'), /does not exist \(ENOENT\)/);
    await failsAtRuntime('/dev/zero', /character device/);
    await failsAtRuntime(dir, /a directory/);
    const plain = join(dir, 'plain.safetensors');
    const { tensors } = await loadSafetensors(join(dir, 'whole.safetensors'));
    await saveSafetensors(plain, tensors);
    for (const t of Object.values(tensors)) t.dispose();
    await failsAtRuntime(plain, /has no nerve model description/);
  });
});

describe('expectedState', () => {
  it.each<[string, Partial<ModelSpec>]>([
    ['mlp', {}],
    ['mlp + batchnorm', { batchnorm: true, hidden: [5, 4] }],
    ['maxout', { activation: 'maxout', hidden: [6] }],
    ['prelu', { activation: 'prelu' }],
    ['cnn + batchnorm', { kind: 'cnn', inputShape: [1, 8, 8], hidden: [3, 4], batchnorm: true }],
  ])('is what buildModel builds: %s', (_name, change) => {
    const spec = { ...SPIRAL, ...change };
    const model = buildModel(spec);
    const built = Object.entries(model.stateDict()).map(([k, t]) => [k, t.shape.join(), t.dtype]);
    const expected = [...expectedState(spec)].map(([k, e]) => [k, e.shape.join(), e.dtype]);
    expect(expected.sort()).toEqual(built.sort());
    model.dispose();
  });
});
