/**
 * scripts/torchvision_to_safetensors.py, run for real: torchvision's
 * MobileNetV2 (10 classes, untrained: no download) converted by the script
 * loads strictly into `mobilenetV2({ numClasses: 10 })`, with the values the
 * file holds. Needs Debian's python3-torchvision; skipped with a reason where
 * it is missing.
 */
import '@nerve/backend-cpu';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '@nerve/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { mobilenetV2 } from '../src/index.js';
import { readSafetensors } from './safetensors-raw.js';

const PYTHON = '/usr/bin/python3';
const script = fileURLToPath(new URL('../scripts/torchvision_to_safetensors.py', import.meta.url));
const hasTorchvision =
  spawnSync(PYTHON, ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;
if (!hasTorchvision) {
  console.warn(
    `models/convert-script.test: skipped: no torchvision for ${PYTHON} (python3-torchvision)`,
  );
}
const dir = mkdtempSync(join(tmpdir(), 'nerve-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(hasTorchvision)('torchvision_to_safetensors.py', () => {
  it('converts torchvision MobileNetV2 into a file mobilenetV2() loads strictly', async () => {
    const out = join(dir, 'mobilenet_v2.safetensors');
    const r = spawnSync(PYTHON, [script, 'mobilenet_v2', out, '--num-classes', '10'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/314 tensors, 2270846 values/);
    const bytes = readFileSync(out);
    const file = readSafetensors(bytes);
    // torch keeps BatchNorm's batch count as int64; the file does too.
    expect(file['features.0.1.num_batches_tracked'].dtype).toBe('I64');
    const model = mobilenetV2({ numClasses: 10 });
    const result = await load(model, bytes);
    expect([result.missingKeys, result.unexpectedKeys]).toEqual([[], []]);
    expect(result.metadata.source).toMatch(/^torchvision .* mobilenet_v2 weights=None$/);
    for (const name of [
      'features.0.0.weight',
      'features.17.conv.1.0.weight',
      'classifier.1.bias',
    ]) {
      expect(Array.from(model.stateDict()[name].dataSync()), name).toEqual(
        Array.from(file[name].data as Float32Array),
      );
    }
    model.dispose();
  }, 120_000);
});
