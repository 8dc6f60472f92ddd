/**
 * Runtime errors: exit 1 with one line `nerve: <message>` (no usage text),
 * found before any training where they can be: an --out that cannot be
 * written is refused before the first epoch, naming the user's path. And
 * --threads above the core count is capped with a warning.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getThreads, setThreads } from '@nerve/backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { checkWritable } from '../src/out-path.js';
import { capture } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-cli-errors-'));
afterAll(() => {
  chmodSync(join(dir, 'readonly'), 0o755);
  rmSync(dir, { recursive: true, force: true });
});
mkdirSync(join(dir, 'readonly'));
chmodSync(join(dir, 'readonly'), 0o555);
mkdirSync(join(dir, 'taken.safetensors'));
// root ignores file permissions: as root, sysfs (which refuses new files) is the read-only folder.
const isRoot = process.getuid?.() === 0;
const readOnly = isRoot ? '/sys' : join(dir, 'readonly');

/** Runs the command and checks the one-line runtime-error contract; returns stderr. */
async function runtimeError(argv: string[]): Promise<string> {
  const c = capture();
  expect(await main(argv, c.io)).toBe(1);
  const err = c.err();
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(err).toMatch(/^nerve: /);
  expect(err).not.toMatch(/usage:/);
  // Refused before training: no epoch was run.
  expect(c.out() + err).not.toMatch(/epoch/);
  return err;
}

describe('--out is checked before training', () => {
  it('a missing folder: exit 1, one line naming the path, no epoch run', async () => {
    const out = join(dir, 'missing', 'model.safetensors');
    const err = await runtimeError(['train', '--epochs', '40', '--out', out]);
    expect(err).toContain(`'${out}'`);
    expect(err).toMatch(/does not exist/);
  });

  it('a directory in the way', async () => {
    const out = join(dir, 'taken.safetensors');
    const err = await runtimeError(['train', '--out', out]);
    expect(err).toMatch(new RegExp(`'${out}', a directory`));
  });

  it.skipIf(!existsSync(readOnly))(
    'a read-only folder, named, and no probe file left behind',
    async () => {
      const out = join(readOnly, 'model.safetensors');
      const before = readdirSync(readOnly);
      const err = await runtimeError(['train', '--out', out]);
      expect(err).toContain(`'${out}': cannot create files in ${readOnly} (EACCES)`);
      expect(readdirSync(readOnly)).toEqual(before);
    },
  );

  it('finetune --save-pretrained and tune --study too', async () => {
    const missing = join(dir, 'missing');
    await runtimeError(['finetune', '--save-pretrained', join(missing, 'p.safetensors')]);
    await runtimeError(['tune', '--study', join(missing, 'study.jsonl')]);
  });

  it('a writable folder passes and keeps no probe file', () => {
    const clean = mkdtempSync(join(dir, 'ok-'));
    checkWritable('out', join(clean, 'model.safetensors'));
    expect(readdirSync(clean)).toEqual([]);
  });

  it('under --json the error is also the last stdout line, as JSON', async () => {
    const c = capture();
    const out = join(dir, 'missing', 'model.safetensors');
    expect(await main(['train', '--json', '--out', out], c.io)).toBe(1);
    expect(c.lines()).toHaveLength(1);
    expect(c.last()).toMatchObject({ event: 'error', exitCode: 1 });
    expect(c.last().message).toContain(out);
  });
});

describe('runtime errors', () => {
  it('a missing --from file: exit 1 and one line naming it, not the usage text', async () => {
    const from = join(dir, 'missing', 'pretrained.safetensors');
    const c = capture();
    expect(await main(['finetune', '--from', from, '--json'], c.io)).toBe(1);
    const err = c.err().trimEnd().split('\n');
    // The run's opening line (stderr under --json), then exactly one error line.
    expect(err).toHaveLength(2);
    expect(err[1]).toMatch(/^nerve: .*ENOENT/);
    expect(err[1]).toContain(from);
    expect(c.err()).not.toMatch(/usage:/);
    expect(c.last()).toMatchObject({ event: 'error', exitCode: 1 });
  });
});

describe('--threads above the core count', () => {
  it('warns on stderr in one line and uses the core count', async () => {
    const before = getThreads();
    const cores = availableParallelism();
    try {
      const c = capture();
      expect(await main(['train', '--epochs', '1', '--threads', '240', '--json'], c.io)).toBe(0);
      const warnings = c
        .err()
        .split('\n')
        .filter((l) => /--threads/.test(l));
      expect(warnings).toEqual([
        `nerve: --threads 240 is more than the ${cores} cores here; using ${cores} (extra threads add memory, not speed)`,
      ]);
      expect(getThreads()).toBe(Math.min(cores, 240));
    } finally {
      setThreads(before);
    }
  });
});
