/**
 * Every ```ts block in the READMEs and docs/ runs, and prints what the
 * ```text block after it says (see example-output.ts), so the examples stay true.
 * Blocks are written next to this file (git-ignored) so their imports
 * resolve through the workspace, then imported.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@nerve/backend-cpu';
import { setBackend } from '@nerve/core';
import { probe } from '@nerve/backend-webgpu';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Example, compareOutput, examplesIn, formatLogs } from './example-output.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test', '.generated');

function markdownFiles(): string[] {
  const files = [join(root, 'README.md')];
  for (const dir of ['packages', 'apps']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, dir));
    } catch {
      continue;
    }
    for (const n of names) files.push(join(root, dir, n, 'README.md'));
  }
  try {
    for (const n of readdirSync(join(root, 'docs')))
      if (n.endsWith('.md')) files.push(join(root, 'docs', n));
  } catch {
    // no docs yet
  }
  return files.filter((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
}

const blocks: { name: string; code: string; file: string; example: Example }[] = [];
for (const file of markdownFiles()) {
  const text = readFileSync(file, 'utf8');
  for (const [i, example] of examplesIn(text).entries()) {
    blocks.push({ name: `${relative(root, file)} #${i + 1}`, code: example.code, file, example });
  }
}

// NERVE_UPDATE_EXAMPLES=1 writes what each example printed into its page, as
// the ```text block after it, instead of comparing: review the diff.
const updating = process.env.NERVE_UPDATE_EXAMPLES === '1';
const printed = new Map<(typeof blocks)[number], string>();
afterAll(() => {
  if (!updating) return;
  for (const file of new Set(blocks.map((b) => b.file))) {
    let text = readFileSync(file, 'utf8');
    // From the end, so earlier offsets stay valid.
    const mine = blocks.filter((b) => b.file === file && printed.has(b)).reverse();
    for (const b of mine) {
      const out = `\n\n\`\`\`text\n${printed.get(b)}\n\`\`\``;
      const [from, to] = b.example.outputSpan ?? [b.example.end, b.example.end];
      text = text.slice(0, from) + out + text.slice(to);
    }
    writeFileSync(file, text);
  }
});

// Examples that use WebGPU need an adapter. Without one they are skipped with
// one line saying so, unless NERVE_REQUIRE_WEBGPU=1 (as CI sets it).
const webgpuRequired = process.env.NERVE_REQUIRE_WEBGPU === '1';
const webgpuAvailable = webgpuRequired || (await probe());
const usesWebGpu = (code: string) => code.includes('@nerve/backend-webgpu');
const skippedForWebGpu = blocks.filter((b) => usesWebGpu(b.code)).map((b) => b.name);
if (!webgpuAvailable && skippedForWebGpu.length > 0) {
  console.warn(
    `test/readme-examples: skipped ${skippedForWebGpu.join(', ')}: no WebGPU adapter here (in Node on Linux: mesa-vulkan-drivers from bookworm-backports, see README; NERVE_REQUIRE_WEBGPU=1 makes this a failure)`,
  );
}

describe('documentation examples run', () => {
  // An example may switch the global backend (the WebGPU README does); the next starts on cpu.
  afterEach(() => setBackend('cpu'));

  it('finds examples to run', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const [k, block] of blocks.entries()) {
    const skip = !webgpuAvailable && usesWebGpu(block.code);
    it.skipIf(skip)(block.name, async () => {
      mkdirSync(outDir, { recursive: true });
      const path = join(outDir, `example-${k}.ts`);
      writeFileSync(path, `${block.code}\nexport {};\n`);
      const logs: unknown[][] = [];
      const orig = console.log;
      console.log = (...args: unknown[]) => void logs.push(args);
      try {
        await import(/* @vite-ignore */ path);
      } finally {
        console.log = orig;
      }
      // Every example prints what it computed, and its page says what that is.
      expect(logs.length).toBeGreaterThan(0);
      const output = formatLogs(logs);
      // An example that prints NaN is broken, whatever its page says.
      expect(output).not.toMatch(/\bNaN\b/);
      if (updating) {
        printed.set(block, output);
        return;
      }
      expect(
        block.example.expected,
        `${block.name} states no output: add a \`\`\`text block after it (NERVE_UPDATE_EXAMPLES=1 writes it)`,
      ).not.toBeNull();
      const difference = compareOutput(output, block.example.expected ?? '');
      expect(difference, `${block.name}: ${difference}`).toBeNull();
    });
  }
});
