/**
 * Atomic writes: errors name the user's path (never the hidden temporary),
 * and temporaries orphaned by a killed writer are removed at the next save
 * into that directory, while everything else there is left alone.
 */
import '@nerve/backend-cpu';
import { execFileSync, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NerveError, tensor, zeros } from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensors, removeStaleTemporaries, saveSafetensors } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const TEMP = /\.nerve-tmp-/;

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(NerveError);
  return e as Error;
}

describe('atomic writes name the user path', () => {
  it('EISDIR: the target is a directory, refused before anything is written', async () => {
    const d = fresh('eisdir');
    const target = join(d, 'model.safetensors');
    mkdirSync(target);
    const t = tensor([1, 2]);
    const e = await errorOf(saveSafetensors(target, { t }));
    expect(e.message).toMatch(
      /^saveSafetensors: cannot write '.*eisdir\/model\.safetensors': it is a directory/,
    );
    expect(e.message).not.toMatch(TEMP);
    expect(readdirSync(d)).toEqual(['model.safetensors']);
    t.dispose();
  });

  it('a missing directory names the path and the directory', async () => {
    const d = fresh('missing');
    const target = join(d, 'nope', 'model.safetensors');
    const t = tensor([1]);
    const e = await errorOf(saveSafetensors(target, { t }));
    expect(e.message).toContain(
      `cannot write '${target}': its directory '${join(d, 'nope')}' does not exist (ENOENT)`,
    );
    expect(e.message).not.toMatch(TEMP);
    t.dispose();
  });

  it.skipIf(process.getuid?.() === 0)('a read-only directory names the path (EACCES)', async () => {
    const d = fresh('readonly');
    const { chmodSync } = await import('node:fs');
    chmodSync(d, 0o555);
    const t = tensor([1]);
    const e = await errorOf(saveSafetensors(join(d, 'm.safetensors'), { t }));
    expect(e.message).toMatch(
      /cannot write '.*readonly\/m\.safetensors': permission denied \(EACCES\)/,
    );
    expect(e.message).not.toMatch(TEMP);
    chmodSync(d, 0o755);
    t.dispose();
  });
});

/** A 64 KiB tmpfs to fill, where this process may mount one (root on Linux); null elsewhere. */
function smallDisk(): string | null {
  const mnt = join(dir, 'tiny');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    return mnt;
  } catch {
    return null;
  }
}

describe('a full disk', () => {
  const disk = process.platform === 'linux' && process.getuid?.() === 0 ? smallDisk() : null;
  afterAll(() => {
    if (disk) execFileSync('umount', [disk]);
  });

  it.skipIf(disk === null)(
    'ENOSPC names the path, keeps the old file and leaves no temporary',
    async () => {
      const d = disk as string;
      const target = join(d, 'model.safetensors');
      const small = tensor([1, 2, 3]);
      await saveSafetensors(target, { small });
      const big = zeros([64 * 1024]);
      const e = await errorOf(saveSafetensors(target, { big }));
      expect(e.message).toBe(
        `saveSafetensors: cannot write '${target}': no space left on the device (ENOSPC)`,
      );
      expect(readdirSync(d)).toEqual(['model.safetensors']);
      const { tensors } = await loadSafetensors(target);
      expect([...tensors.small.dataSync()]).toEqual([1, 2, 3]);
      tensors.small.dispose();
      small.dispose();
      big.dispose();
    },
  );
});

describe('stale temporaries', () => {
  it('a SIGKILLed writer leaves a temporary that the next save removes', async () => {
    const d = fresh('killed');
    const target = join(d, 'model.safetensors');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = fileURLToPath(new URL('./helpers/save-loop-child.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', tsx, '--conditions=@nerve/source', script, target],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (b) => (output += b));
    child.stderr.on('data', (b) => (output += b));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    // Kill it while a temporary exists (the second save, so a finished file exists too).
    const deadline = Date.now() + 60_000;
    while (
      !(readdirSync(d).includes('model.safetensors') && readdirSync(d).some((n) => TEMP.test(n)))
    ) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the child ended or stalled: ${output}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const orphans = readdirSync(d).filter((n) => TEMP.test(n));
    expect(orphans.length).toBeGreaterThan(0);
    // The finished file is whole: the kill hit the temporary, never the target.
    const { tensors } = await loadSafetensors(target);
    expect(tensors.big.shape).toEqual([16 * 2 ** 20]);
    tensors.big.dispose();

    const t = tensor([3]);
    await saveSafetensors(join(d, 'other.safetensors'), { t });
    t.dispose();
    expect(readdirSync(d).sort()).toEqual(['model.safetensors', 'other.safetensors']);
  }, 90_000);

  it("removes only stale files of nerve's pattern, never a user's file", async () => {
    const d = fresh('planted');
    // A pid that is certainly not running: a finished child's.
    const done = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((r) => done.on('exit', () => r(done.pid as number)));
    const names = {
      dead: `.m.safetensors.nerve-tmp-${deadPid}-abcd1234`,
      liveFresh: `.m.safetensors.nerve-tmp-${process.pid}-abcd1234`,
      liveOld: `.n.safetensors.nerve-tmp-${process.pid}-zzzz9999`,
      userLookalike: `.m.safetensors.nerve-tmp-${deadPid}-NOTOURS`,
      userTmp: 'm.safetensors.tmp',
      userHidden: `.m.safetensors.${deadPid}.tmp`,
    };
    for (const n of Object.values(names)) writeFileSync(join(d, n), 'x');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(join(d, names.liveOld), old, old);
    mkdirSync(join(d, `.dir.nerve-tmp-${deadPid}-abcd1234`));
    const removed = await removeStaleTemporaries(d);
    expect(removed.sort()).toEqual([names.dead, names.liveOld].sort());
    const left = readdirSync(d);
    for (const n of [names.liveFresh, names.userLookalike, names.userTmp, names.userHidden]) {
      expect(left).toContain(n);
    }
    expect(statSync(join(d, `.dir.nerve-tmp-${deadPid}-abcd1234`)).isDirectory()).toBe(true);
  });
});
