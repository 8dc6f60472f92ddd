import { afterEach, describe, expect, it } from 'vitest';
import { defaultThreadCount, threadsSupported } from '../src/threads/platform.js';
import {
  createThreadPool,
  type ThreadPool,
  type ThreadPoolOptions,
} from '../src/threads/thread-pool.js';
import { lcgReference, testModuleBytes } from './support/thread-test-module.js';

const PAGE = 65536;
const module = new WebAssembly.Module(testModuleBytes(1, 1024));
const pools: ThreadPool[] = [];

function setup(threads: number, pages = 16, options: ThreadPoolOptions = {}) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 1024, shared: true });
  const pool = createThreadPool(module, memory, threads, options);
  pools.push(pool);
  return { memory, pool };
}

// `count` lcg tasks over consecutive blocks of `len` words starting at word 0.
function lcgTasks(count: number, len: number, rounds: number): number[][] {
  return Array.from({ length: count }, (_, t) => [t * len * 4, len, rounds]);
}

// A busy 2-core CI machine may let the caller finish a batch before a worker is
// scheduled, so properties about *which* thread ran a task get a few attempts.
function untilTrue(attempts: number, f: () => boolean): boolean {
  for (let i = 0; i < attempts; i++) if (f()) return true;
  return false;
}

afterEach(() => {
  for (const p of pools.splice(0)) p.terminate();
});

describe.runIf(threadsSupported())('thread pool', () => {
  it('spreads tasks over the threads and matches a JavaScript reference', async () => {
    const { memory, pool } = setup(2);
    expect(pool.threads).toBe(2);
    expect(await pool.ready()).toBe(2);
    const words = new Int32Array(memory.buffer);
    const spread = untilTrue(20, () => {
      for (let i = 0; i < 256 * 64; i++) words[i] = i;
      pool.run('lcg', lcgTasks(256, 64, 200));
      for (let i = 0; i < 256 * 64; i += 97) expect(words[i]).toBe(lcgReference(i, 200));
      expect(words[256 * 64 - 1]).toBe(lcgReference(256 * 64 - 1, 200));
      const ranBy = pool.lastRunThreads();
      expect(ranBy.length).toBe(256);
      return new Set(ranBy).size === 2;
    });
    expect(spread).toBe(true);
  });

  it('gives the same bytes on 1 and 3 threads, across several batches', async () => {
    const one = setup(1);
    const three = setup(3);
    await three.pool.ready();
    // 3000 tasks > one batch's capacity (1024), so run() splits them.
    for (const { memory, pool } of [one, three]) {
      const words = new Int32Array(memory.buffer);
      for (let i = 0; i < 3000 * 8; i++) words[i] = i * 7;
      pool.run('lcg', lcgTasks(3000, 8, 13));
    }
    const a = new Int32Array(one.memory.buffer, 0, 3000 * 8);
    const b = new Int32Array(three.memory.buffer, 0, 3000 * 8);
    expect(b).toEqual(a);
    expect(a[12345]).toBe(lcgReference(12345 * 7, 13));
  });

  it('runs every task on the caller before the workers are up', async () => {
    const { memory, pool } = setup(2);
    pool.run('fill', [
      [0, 10, 5],
      [40, 10, 6],
    ]);
    expect(Array.from(new Int32Array(memory.buffer, 0, 20))).toEqual([
      ...Array(10).fill(5),
      ...Array(10).fill(6),
    ]);
    expect(await pool.ready()).toBe(2);
    expect(pool.liveThreads()).toBe(2);
  });

  it('throws a trap from the caller or a worker as an error naming the function, and stays usable', async () => {
    const { memory, pool } = setup(2);
    await pool.ready();
    const seen = new Set<string>();
    const outOfBounds = 1024 * PAGE;
    untilTrue(50, () => {
      // Task 0 is slow, so whichever thread takes it leaves task 1 (the trap) to the other.
      const tasks = [
        [0, 200_000, 1],
        [outOfBounds, 4, 1],
      ];
      let message = '';
      try {
        pool.run('fill', tasks);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^threadPool: fill failed in task 1 on thread [01]: .*out of bounds/);
      seen.add(message.match(/thread (\d)/)![1]);
      return seen.size === 2;
    });
    expect(seen.has('1')).toBe(true);
    expect(() => pool.run('boom', [[], []])).toThrow(
      /boom failed in task \d on thread \d: unreachable/,
    );
    expect(() => pool.run('boom', [[]])).toThrow(/boom failed in task 0 on thread 0/);
    pool.run('fill', [
      [0, 3, 9],
      [12, 3, 8],
    ]);
    expect(Array.from(new Int32Array(memory.buffer, 0, 6))).toEqual([9, 9, 9, 8, 8, 8]);
    expect(pool.liveThreads()).toBe(2);
  });

  it('rejects an unknown function and tasks of the wrong arity before running anything', () => {
    const { memory, pool } = setup(2);
    new Int32Array(memory.buffer)[0] = 1;
    expect(() => pool.run('nope', [[]])).toThrow(
      /expected an exported function \(fill, lcg, nop, boom\), received 'nope'/,
    );
    expect(() =>
      pool.run('fill', [
        [0, 1, 2],
        [0, 1],
      ]),
    ).toThrow(/expected 3 numbers per task, received \[0, 1\] in task 1/);
    expect(new Int32Array(memory.buffer)[0]).toBe(1);
    pool.run('fill', []);
  });

  it('goes on without a worker that has exited', async () => {
    const { memory, pool } = setup(3);
    await pool.ready();
    await pool.terminateWorker(1);
    expect(pool.liveThreads()).toBe(2);
    const words = new Int32Array(memory.buffer);
    pool.run(
      'fill',
      Array.from({ length: 64 }, (_, t) => [t * 400, 100, t]),
    );
    expect(words[63 * 100 + 99]).toBe(63);
    await pool.terminateWorker(2);
    expect(pool.liveThreads()).toBe(1);
    pool.run(
      'fill',
      Array.from({ length: 64 }, (_, t) => [t * 400, 100, -t]),
    );
    expect(words[63 * 100 + 99]).toBe(-63);
  });

  it('fails the run, not hangs, when a worker dies holding a task', async () => {
    const { memory, pool } = setup(2, 16, { testCrashAfter: 2 });
    await pool.ready();
    let message = '';
    for (let i = 0; i < 200 && !message; i++) {
      try {
        pool.run('lcg', lcgTasks(64, 64, 50));
      } catch (e) {
        message = (e as Error).message;
      }
    }
    expect(message).toMatch(
      /^threadPool: lcg failed in task \d+ on thread 1: worker 1 stopped while running it: injected crash/,
    );
    expect(pool.liveThreads()).toBe(1);
    const words = new Int32Array(memory.buffer);
    for (let i = 0; i < 64 * 64; i++) words[i] = i;
    pool.run('lcg', lcgTasks(64, 64, 50));
    expect(words[4000]).toBe(lcgReference(4000, 50));
  });

  it('lets workers write memory that the caller grew after they started', async () => {
    const { memory, pool } = setup(2, 1);
    await pool.ready();
    memory.grow(15);
    // Every task writes only above the first page, which is all the workers' instances had.
    const tasks = Array.from({ length: 240 }, (_, t) => [PAGE + t * 4096, 1024, t + 1]);
    const workerWrote = untilTrue(20, () => {
      pool.run('fill', tasks);
      const words = new Int32Array(memory.buffer);
      for (let t = 0; t < 240; t++) expect(words[(PAGE + t * 4096) / 4 + 1023]).toBe(t + 1);
      return pool.lastRunThreads().some((id) => id !== 0);
    });
    expect(workerWrote).toBe(true);
  });

  it('gives the same bytes under every spin setting, changed between runs, and checks them', async () => {
    const ref = setup(1);
    for (let i = 0; i < 64 * 32; i++) new Int32Array(ref.memory.buffer)[i] = i * 3;
    ref.pool.run('lcg', lcgTasks(64, 32, 9));
    const want = new Int32Array(ref.memory.buffer, 0, 64 * 32).slice();
    const { memory, pool } = setup(2, 16, { spinMicros: 0, adaptiveSpin: false });
    await pool.ready();
    const words = new Int32Array(memory.buffer);
    // Spins of 0, 50 µs and 1 ms, fixed and adaptive, with idle gaps between
    // runs longer and shorter than the spin, so runs find the worker spinning
    // and asleep: the spin only decides when a thread sleeps, never what it computes.
    for (const [us, adaptive, gapMs] of [
      [0, false, 0],
      [50, false, 2],
      [1000, false, 0],
      [1000, true, 0.3],
      [1000, true, 3],
    ] as const) {
      expect(pool.setSpinMicros(us)).toBeGreaterThanOrEqual(0);
      pool.setWaitSpinMicros(us);
      pool.setAdaptiveSpin(adaptive);
      for (let r = 0; r < 5; r++) {
        for (let i = 0; i < 64 * 32; i++) words[i] = i * 3;
        const until = performance.now() + gapMs;
        while (performance.now() < until) {}
        pool.run('lcg', lcgTasks(64, 32, 9));
        expect(words.subarray(0, 64 * 32)).toEqual(want);
      }
    }
    expect(pool.setAdaptiveSpin(false)).toBe(true);
    expect(() => pool.setSpinMicros(-1)).toThrow(/spinMicros in \[0, 1e6\]/);
    expect(() => pool.setWaitSpinMicros(Number.NaN)).toThrow(/spinMicros/);
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true });
    expect(() => createThreadPool(module, shared, 2, { spinMicros: 2e6 })).toThrow(/spinMicros/);
  });

  it('refuses to run after terminate()', () => {
    const { pool } = setup(2);
    pool.terminate();
    pool.terminate();
    expect(() => pool.run('nop', [[]])).toThrow(/terminated pool/);
  });

  it('validates its arguments', () => {
    const plain = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
    expect(() => createThreadPool(module, plain, 2)).toThrow(
      /expected a shared WebAssembly.Memory/,
    );
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true });
    expect(() => createThreadPool(module, shared, 0)).toThrow(/thread count/);
    expect(() => createThreadPool(module, shared, 2.5)).toThrow(/thread count/);
  });

  it('reports host support and the core count', async () => {
    expect(threadsSupported()).toBe(true);
    const os = await import('node:os');
    expect(defaultThreadCount()).toBe(os.availableParallelism());
  });
});
