/**
 * A checkpoint's training state is one atomic unit: model, optimizer,
 * schedulers, epoch/step and RNG. A SIGKILL mid-save never yields a model
 * from one save beside an optimizer from another, loading is all or nothing,
 * and the weights file stays a plain state dict.
 */
import '@nerve/backend-cpu';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NerveError } from '@nerve/core';
import { Linear } from '@nerve/layers';
import { Adam } from '@nerve/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint, trainingStatePath } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-ckpt-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Starts the saving child; resolves once it has finished `saves` saves, then SIGKILLs it. */
async function killMidSave(
  path: string,
  first: number,
  saves: number,
  extraMs: number,
): Promise<void> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = fileURLToPath(new URL('./helpers/checkpoint-loop-child.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@nerve/source', script, path, String(first)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  const deadline = Date.now() + 60_000;
  while ((out.match(/saved/g) ?? []).length < saves) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`child: ${out}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  // Any moment will do: the property below must hold wherever the kill lands.
  await new Promise((r) => setTimeout(r, extraMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('checkpoints under SIGKILL', () => {
  it('every kill leaves a training state whose model, optimizer and epoch come from one save', async () => {
    const d = join(dir, 'kills');
    mkdirSync(d);
    const path = join(d, 'model.safetensors');
    const seen = new Set<number>();
    for (const [k, extra] of [0, 7, 19, 31, 53].entries()) {
      await killMidSave(path, 100 * (k + 1), 2, extra);
      const model = new Linear(1024, 2048, { seed: 1 });
      const opt = new Adam(model.parameters(), { lr: 1e-3 });
      const info = await loadCheckpoint(path, model, { optimizer: opt });
      const n = info.epoch as number;
      seen.add(n);
      expect(info.step).toBe(n);
      for (const p of model.parameters()) expect(new Set(p.dataSync())).toEqual(new Set([n]));
      const sd = opt.stateDict();
      for (const s of Object.values(sd.state)) {
        expect(s.step).toBe(n);
        for (const key of ['expAvg', 'expAvgSq']) {
          const t = s[key] as import('@nerve/core').Tensor;
          expect(new Set(t.dataSync())).toEqual(new Set([n]));
          t.dispose();
        }
      }
      // The weights file alone is whole too (it may be one save behind or ahead).
      const weightsOnly = new Linear(1024, 2048, { seed: 2 });
      await loadCheckpoint(path, weightsOnly);
      model.dispose();
      weightsOnly.dispose();
      opt.disposeState();
    }
    expect(seen.size).toBeGreaterThan(1);
    // The next save removes what the kills left.
    const m = new Linear(2, 2, { seed: 3 });
    await saveCheckpoint(join(d, 'other.safetensors'), m, { optimizer: new Adam(m.parameters()) });
    expect(readdirSync(d).filter((n) => n.includes('nerve-tmp'))).toEqual([]);
  }, 180_000);
});

describe('saveCheckpoint file errors', () => {
  it('name the user path for a directory in the way and a missing directory', async () => {
    const m = new Linear(2, 2, { seed: 4 });
    const opt = new Adam(m.parameters());
    const d = join(dir, 'errors');
    mkdirSync(d);
    mkdirSync(join(d, 'm.training.safetensors'));
    const e1 = await saveCheckpoint(join(d, 'm.safetensors'), m, { optimizer: opt }).catch(
      (e) => e,
    );
    expect(e1).toBeInstanceOf(NerveError);
    expect(e1.message).toContain(
      `cannot write '${trainingStatePath(join(d, 'm.safetensors'))}': it is a directory`,
    );
    const missing = join(d, 'nope', 'm.safetensors');
    const e2 = await saveCheckpoint(missing, m, { optimizer: opt }).catch((e) => e);
    expect(e2).toBeInstanceOf(NerveError);
    expect(e2.message).toMatch(/its directory '.*nope' does not exist/);
    expect(e2.message).not.toMatch(/nerve-tmp/);
  });
});
