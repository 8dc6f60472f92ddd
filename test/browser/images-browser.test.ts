/**
 * @nerve/data's browser image loaders (issue 14: PNG and JPEG "decoded by
 * createImageBitmap in the browser") in Debian's headless chromium: its
 * browser entry bundled by esbuild for the browser decodes the committed
 * fixtures (packages/data/test/fixtures/images, written by Pillow) with the
 * browser's own decoders, and the tensors are compared with what the Node
 * entry (pngjs, jpeg-js) makes of the same files. Both resize with the same
 * resizeCenterCrop, so PNG must agree exactly; JPEG differs only by the two
 * decoders' rounding, bounded below.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeImage,
  loadImageFolder,
  loadImages,
  resizeCenterCrop,
} from '../../packages/data/src/index.js';
import { type Browser, CHROMIUM, haveChromium, launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'packages/data/test/fixtures/images');
const required = process.env.NERVE_REQUIRE_BROWSER === '1';

/**
 * JPEG. Chromium decodes with libjpeg-turbo, as Pillow does: the page must
 * give exactly the RGB that Pillow's libjpeg-turbo gave when the fixtures
 * were made (<name>.rgb, measured equal). Node's jpeg-js differs from it in
 * two ways:
 * - its IDCT rounds differently. IEEE 1180 lets each decoder's IDCT be 1
 *   level off per sample, so Y, Cb, Cr differ by ≤ 2 between two decoders,
 *   and after YCbCr → RGB (R = Y + 1.402 Cr, B = Y + 1.772 Cb) and rounding
 *   a colour by ≤ 2 + 1.772·2 + 1 ≈ 6.5 levels: the bound JPEG_444_MAX for
 *   pattern-444.jpg (no chroma subsampling), whose mean error IEEE 1180 also
 *   keeps well under 1 level (JPEG_444_MEAN). Measured: pixels mean 0.52,
 *   max 3 levels; tensors mean 0.42–0.47, max 2.3 levels.
 * - with 4:2:0 subsampling (pattern.jpg) it upsamples chroma by replication
 *   where libjpeg-turbo interpolates ("fancy" upsampling), which differs by
 *   up to the whole chroma step at a colour edge (measured 137 levels at the
 *   saturated disc's edge; mean 4.5 levels). No decoder-independent bound
 *   exists there for colour, so that difference is printed, and held to
 *   what jpeg-js vs the reference decode gives: the browser adds nothing.
 *   Grayscale is BT.601 luma, JFIF's Y, which is not subsampled: there the
 *   IDCT bound above holds (measured mean 0.47, max 2.4 levels).
 */
const JPEG_444_MEAN = 1 / 255;
const JPEG_444_MAX = 6.5 / 255;

if (!haveChromium) {
  console.warn(
    required
      ? `test/browser: ${CHROMIUM} is missing and NERVE_REQUIRE_BROWSER=1: failing`
      : `test/browser: skipped: ${CHROMIUM} is missing (apt-get install chromium)`,
  );
}

/** The page script: the browser entry's loaders on window, for page.evaluate. */
const PAGE = `
import * as data from '@nerve/data';
globalThis.__data = data;
`;

const bytesOf = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));

function meanMaxAbs(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number } {
  expect(a.length).toBe(b.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

/** What the page's functions are given: file name and bytes, as plain arrays. */
type Input = { name: string; bytes: number[] };
const input = (name: string, as = name): Input => ({ name: as, bytes: [...bytesOf(name)] });

describe.runIf(haveChromium || required)('@nerve/data images in headless chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  let bundle = '';
  const dir = mkdtempSync(join(tmpdir(), 'nerve-images-browser-'));

  beforeAll(async () => {
    const out = await build({
      stdin: { contents: PAGE, resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      conditions: ['@nerve/source'],
      logLevel: 'silent',
    });
    bundle = out.outputFiles.map((f) => f.text).join('\n');
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setContent('<!DOCTYPE html><html><body></body></html>');
    await page.addScriptTag({ content: bundle });
    // The folder Node reads, laid out as the page's Files say.
    for (const [cls, names] of [
      ['a', ['pattern.png']],
      ['b', ['pattern.jpg', 'gray.png']],
    ] as const) {
      mkdirSync(join(dir, 'shapes', cls), { recursive: true });
      for (const n of names) writeFileSync(join(dir, 'shapes', cls, n), bytesOf(n));
    }
    writeFileSync(join(dir, 'shapes', 'notes.txt'), 'not a class');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** decodeImageBrowser's RGBA bytes in the page. */
  async function decodeInPage(
    file: Input,
  ): Promise<{ width: number; height: number; data: number[] }> {
    return page.evaluate(async ({ bytes }) => {
      const d = (globalThis as any).__data;
      const img = await d.decodeImageBrowser(new Uint8Array(bytes));
      return { width: img.width, height: img.height, data: [...img.data] };
    }, file);
  }

  /** decodeImageBrowser + resizeCenterCrop in the page. */
  async function tensorInPage(file: Input, size: number, channels: 1 | 3): Promise<number[]> {
    return page.evaluate(
      async ({ bytes, size, channels }) => {
        const d = (globalThis as any).__data;
        const img = await d.decodeImageBrowser(new Blob([new Uint8Array(bytes)]));
        return [...d.resizeCenterCrop(img, size, channels)] as number[];
      },
      { ...file, size, channels },
    );
  }

  const nodeTensor = (name: string, size: number, channels: 1 | 3) =>
    resizeCenterCrop(decodeImage('test', name, bytesOf(name)), size, channels);

  it('bundles the browser entry without the Node decoders', () => {
    expect(bundle).toContain('createImageBitmap');
    expect(bundle).not.toMatch(/pngjs|jpeg-js|node:fs/);
  });

  it.each(['pattern.png', 'gray.png'])('%s: the same RGBA bytes as pngjs', async (name) => {
    const node = decodeImage('test', name, bytesOf(name));
    const browser = await decodeInPage(input(name));
    expect([browser.width, browser.height]).toEqual([node.width, node.height]);
    expect(browser.data).toEqual([...node.data]);
  });

  it.each([
    ['pattern.png', 32, 3],
    ['pattern.png', 32, 1],
    ['pattern.png', 80, 3], // larger than the image: bilinear
    ['gray.png', 24, 1],
    ['gray.png', 24, 3],
  ] as const)('%s at %i², %i channel(s): exactly the Node tensor', async (name, size, channels) => {
    const browser = await tensorInPage(input(name), size, channels);
    const node = nodeTensor(name, size, channels);
    expect(browser).toHaveLength(channels * size * size);
    expect(browser).toEqual([...node]);
  });

  /** libjpeg-turbo's decode of a JPEG fixture (Pillow, when the fixtures were made) as RGBA. */
  function reference(name: string) {
    const node = decodeImage('test', name, bytesOf(name));
    const rgb = bytesOf(`${name}.rgb`);
    const data = new Uint8Array(node.width * node.height * 4);
    for (let p = 0; p < node.width * node.height; p++) {
      data.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 255], 4 * p);
    }
    return { width: node.width, height: node.height, data };
  }

  const JPEG_CASES = [
    [32, 3],
    [32, 1],
    [80, 3],
  ] as const;

  it.each([
    'pattern.jpg',
    'pattern-444.jpg',
  ])('%s: exactly libjpeg-turbo’s pixels and tensors', async (name) => {
    const ref = reference(name);
    const browser = await decodeInPage(input(name));
    expect([browser.width, browser.height]).toEqual([ref.width, ref.height]);
    expect(browser.data).toEqual([...ref.data]);
    for (const [size, channels] of JPEG_CASES) {
      expect(await tensorInPage(input(name), size, channels)).toEqual([
        ...resizeCenterCrop(ref, size, channels),
      ]);
    }
  });

  it('pattern-444.jpg: within the IDCT rounding bound of the Node tensor', async () => {
    for (const [size, channels] of JPEG_CASES) {
      const t = meanMaxAbs(
        await tensorInPage(input('pattern-444.jpg'), size, channels),
        nodeTensor('pattern-444.jpg', size, channels),
      );
      console.log(
        `images-browser: pattern-444.jpg chromium vs jpeg-js at ${size}² × ${channels}: ` +
          `mean ${(t.mean * 255).toFixed(2)}, max ${(t.max * 255).toFixed(2)} levels`,
      );
      expect(t.mean).toBeLessThanOrEqual(JPEG_444_MEAN);
      expect(t.max).toBeLessThanOrEqual(JPEG_444_MAX);
    }
  });

  it('pattern.jpg (4:2:0): differs from the Node tensor by jpeg-js’s chroma upsampling only', async () => {
    const ref = reference('pattern.jpg');
    for (const [size, channels] of JPEG_CASES) {
      const node = nodeTensor('pattern.jpg', size, channels);
      const t = meanMaxAbs(await tensorInPage(input('pattern.jpg'), size, channels), node);
      const refVsNode = meanMaxAbs(resizeCenterCrop(ref, size, channels), node);
      console.log(
        `images-browser: pattern.jpg (4:2:0) chromium vs jpeg-js at ${size}² × ${channels}: ` +
          `mean ${(t.mean * 255).toFixed(2)}, max ${(t.max * 255).toFixed(1)} levels`,
      );
      expect(t).toEqual(refVsNode);
      if (channels === 1) {
        expect(t.mean).toBeLessThanOrEqual(JPEG_444_MEAN);
        expect(t.max).toBeLessThanOrEqual(JPEG_444_MAX);
      }
    }
  });

  it('loadImageFolderBrowser: the classes, labels, order and tensors of loadImageFolder', async () => {
    const node = loadImageFolder(join(dir, 'shapes'), { size: 16, channels: 3 });
    const files = [
      { path: 'shapes/b/pattern.jpg', file: 'pattern.jpg' },
      { path: 'shapes/a/pattern.png', file: 'pattern.png' },
      { path: 'shapes/b/gray.png', file: 'gray.png' },
      { path: 'shapes/notes.txt', file: 'gray.png' }, // directly in DIR: skipped, as in Node
      { path: 'shapes/b/.hidden.png', file: 'gray.png' }, // hidden: skipped
    ].map(({ path, file }) => ({ path, bytes: [...bytesOf(file)] }));
    const browser = await page.evaluate(async (files) => {
      const d = (globalThis as any).__data;
      const list = files.map(({ path, bytes }) => {
        const f = new File([new Uint8Array(bytes)], path.split('/').at(-1) as string);
        Object.defineProperty(f, 'webkitRelativePath', { value: path });
        return f;
      });
      const r = await d.loadImageFolderBrowser(list, { size: 16, channels: 3 });
      return { ...r, x: [...r.x], y: [...r.y] };
    }, files);
    expect(browser.classes).toEqual(node.classes);
    expect(browser.y).toEqual([...node.y]);
    expect(browser.shape).toEqual(node.shape);
    expect(browser.files).toEqual(node.files.map((f) => f.slice(dir.length + 1)));
    // Sorted as Node sorts: a/pattern.png, b/gray.png, b/pattern.jpg. PNGs exact, the JPEG within bounds.
    const per = 3 * 16 * 16;
    expect(browser.x.slice(0, 2 * per)).toEqual([...node.x.slice(0, 2 * per)]);
    expect(browser.x.slice(2 * per)).toEqual([
      ...resizeCenterCrop(reference('pattern.jpg'), 16, 3),
    ]);
  });

  it('loadImagesBrowser: { name, blob } and { label, blob } entries, sorted as loadImages sorts', async () => {
    const node = loadImages(join(dir, 'shapes', 'b'), { size: 8, channels: 1 });
    const r = await page.evaluate(
      async (files) => {
        const d = (globalThis as any).__data;
        const blobs = files.map((f) => ({
          name: f.name,
          blob: new Blob([new Uint8Array(f.bytes)]),
        }));
        const un = await d.loadImagesBrowser(
          [...blobs, { name: 'readme.md', blob: new Blob(['x']) }],
          { size: 8, channels: 1 },
        );
        const labelled = await d.loadImageFolderBrowser(
          blobs.map((b, i) => ({ label: i === 0 ? 'jpg' : 'png', blob: b.blob, name: b.name })),
          { size: 8, channels: 1 },
        );
        return {
          files: un.files,
          shape: un.shape,
          x: [...un.x],
          classes: labelled.classes,
          y: [...labelled.y],
        };
      },
      [input('pattern.jpg'), input('gray.png')],
    );
    expect(r.files).toEqual(['gray.png', 'pattern.jpg']);
    expect(r.shape).toEqual(node.shape);
    expect(r.x.slice(0, 64)).toEqual([...node.x.slice(0, 64)]);
    expect(r.classes).toEqual(['jpg', 'png']);
    expect(r.y).toEqual([0, 1]);
  });

  it('names what it refuses, as the Node loaders do', async () => {
    const errors = await page.evaluate(
      async (png) => {
        const d = (globalThis as any).__data;
        const blob = new Blob([new Uint8Array(png)]);
        const inFolder = (path: string, b: Blob) => {
          const f = new File([b], path.split('/').at(-1) as string);
          Object.defineProperty(f, 'webkitRelativePath', { value: path });
          return f;
        };
        const attempts: (() => Promise<unknown>)[] = [
          () => d.decodeImageBrowser(new Uint8Array([1, 2, 3, 4]), 'x.png'),
          () =>
            d.decodeImageBrowser(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), 'broken.png'),
          () => d.loadImageFolderBrowser([inFolder('d/a/x.png', blob)]),
          () =>
            d.loadImageFolderBrowser([
              inFolder('d/a/x.png', blob),
              inFolder('d/b/notes.txt', blob),
            ]),
          () => d.loadImageFolderBrowser([new File([blob], 'loose.png')]),
          () =>
            d.loadImageFolderBrowser([inFolder('d/a/x.png', blob), inFolder('d/b/y.png', blob)], {
              size: 0,
            }),
          () =>
            d.loadImageFolderBrowser([inFolder('d/a/x.png', blob), inFolder('d/b/y.png', blob)], {
              maxFileBytes: 10,
            }),
        ];
        const out: string[] = [];
        for (const a of attempts) {
          try {
            await a();
            out.push('no error');
          } catch (e) {
            out.push((e as Error).message);
          }
        }
        return out;
      },
      [...bytesOf('gray.png')],
    );
    expect(errors[0]).toMatch(
      /^decodeImageBrowser: expected a PNG or JPEG image in x\.png, received neither signature/,
    );
    expect(errors[1]).toMatch(/^decodeImageBrowser: broken\.png could not be decoded/);
    expect(errors[2]).toMatch(
      /^loadImageFolderBrowser: expected at least two classes.*received only 'a'/,
    );
    expect(errors[3]).toMatch(/only PNG or JPEG files in class b, received 'notes\.txt'/);
    expect(errors[4]).toMatch(/webkitRelativePath.*received 'loose\.png' without a folder/);
    expect(errors[5]).toMatch(/size an integer in \[1, 4096\], received 0/);
    expect(errors[6]).toMatch(
      /^loadImageFolderBrowser: d\/a\/x\.png is \d+ bytes, more than the 10 bytes/,
    );
  });
});
