/**
 * The safetensors parser fuzz, run in its own process so its peak RSS is its
 * own (process.resourceUsage().maxRSS). Mutates valid files (bit flips,
 * truncations, header JSON edits, huge declared lengths, offsets and shapes,
 * odd keys) and parses each; prints one JSON line with what it found.
 * Usage: fuzz-safetensors-child.ts <runs> <seed>
 */
import '@nerve/backend-cpu';
import { NerveError, memory, tensor } from '@nerve/core';
import fc from 'fast-check';
import { parseSafetensors, serializeSafetensors } from '../../src/index.js';

const runs = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);

/** Valid files to mutate: the writer's own output and hand-built ones with other dtypes. */
async function corpus(): Promise<Uint8Array[]> {
  const a = tensor([1, -2, 3.5, 0], { shape: [2, 2] });
  const b = tensor(new Int32Array([7, -8, 9]), { dtype: 'int32' });
  const c = tensor([1, 0, 1], { dtype: 'bool' });
  const s = tensor(new Float32Array([42]), { shape: [] });
  const files = [
    await serializeSafetensors({ 'fc.weight': a, 'fc.bias': b, mask: c, scalar: s }, { k: 'v' }),
    await serializeSafetensors({ x: a }),
    await serializeSafetensors({}),
  ];
  for (const t of [a, b, c, s]) t.dispose();
  files.push(handBuilt({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4));
  files.push(handBuilt({ l: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8));
  files.push(
    handBuilt({ u: { dtype: 'U8', shape: [3], data_offsets: [0, 3] }, __metadata__: {} }, 3),
  );
  return files;
}

function handBuilt(header: unknown, dataBytes: number): Uint8Array {
  return build(new TextEncoder().encode(JSON.stringify(header)), new Uint8Array(dataBytes));
}

function build(json: Uint8Array, data: Uint8Array, declared?: bigint): Uint8Array {
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Splits a valid file into its JSON header object and data section. */
function split(file: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
  return { header, data: file.subarray(8 + n) };
}

const huge = fc.oneof(
  fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e18, 1e300, -1, 0.5, Number.NaN),
  fc.nat(),
  fc.integer({ min: -10, max: 1 << 20 }),
);
const oddKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '__metadata__',
  '',
  'a.b.c',
  'ünï',
  '0',
);
const jsonValue = fc.oneof(
  huge,
  fc.string(),
  fc.constant(null),
  fc.array(huge, { maxLength: 4 }),
  fc.dictionary(oddKey, fc.oneof(fc.string(), huge)),
);

/** One edit of a header object (in place on a copy). */
const headerEdit = fc.oneof(
  fc.record({
    kind: fc.constant('dtype' as const),
    v: fc.oneof(
      fc.constantFrom(
        'F32',
        'F64',
        'F16',
        'BF16',
        'I64',
        'I32',
        'I16',
        'I8',
        'U8',
        'BOOL',
        'F8_E4M3',
        'f32',
      ),
      fc.string(),
    ),
  }),
  fc.record({
    kind: fc.constant('shape' as const),
    v: fc.oneof(fc.array(huge, { maxLength: 5 }), jsonValue),
  }),
  fc.record({
    kind: fc.constant('offsets' as const),
    v: fc.oneof(fc.tuple(huge, huge), fc.array(huge, { maxLength: 3 }), jsonValue),
  }),
  fc.record({
    kind: fc.constant('add' as const),
    key: oddKey,
    v: fc.oneof(
      jsonValue,
      fc.record({
        dtype: fc.constant('F32'),
        shape: fc.array(huge, { maxLength: 3 }),
        data_offsets: fc.tuple(huge, huge),
      }),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('metadata' as const), v: jsonValue }),
);

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flips' as const),
    at: fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('length' as const),
    v: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 200n })),
  }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({
    kind: fc.constant('header' as const),
    edits: fc.array(headerEdit, { minLength: 1, maxLength: 3 }),
    lengthDelta: fc.integer({ min: -3, max: 3 }),
    pick: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    text: fc.string({ maxLength: 80 }),
    data: fc.uint8Array({ maxLength: 32 }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(file: Uint8Array, m: Mutation): Uint8Array {
  const out = file.slice();
  switch (m.kind) {
    case 'flips':
      if (out.length === 0) return out;
      for (const [i, bit] of m.at) out[i % out.length] ^= 1 << bit;
      return out;
    case 'truncate':
      return out.subarray(0, m.at % (out.length + 1));
    case 'length':
      new DataView(out.buffer).setBigUint64(0, m.v, true);
      return out;
    case 'append': {
      const longer = new Uint8Array(out.length + m.bytes.length);
      longer.set(out);
      longer.set(m.bytes, out.length);
      return longer;
    }
    case 'raw':
      return build(new TextEncoder().encode(m.text), m.data);
    case 'header': {
      const { header, data } = split(out);
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      for (const e of m.edits) {
        const name = names.length > 0 ? names[m.pick % names.length] : undefined;
        const entry = name ? (header[name] as Record<string, unknown>) : undefined;
        if (e.kind === 'add')
          Object.defineProperty(header, e.key, {
            value: e.v,
            enumerable: true,
            configurable: true,
            writable: true,
          });
        else if (e.kind === 'metadata') header.__metadata__ = e.v;
        else if (e.kind === 'delete' && name) delete header[name];
        else if (entry && typeof entry === 'object') {
          if (e.kind === 'dtype') entry.dtype = e.v;
          if (e.kind === 'shape') entry.shape = e.v;
          if (e.kind === 'offsets') entry.data_offsets = e.v;
        }
      }
      const json = new TextEncoder().encode(JSON.stringify(header));
      const declared = BigInt(Math.max(0, json.length + m.lengthDelta));
      return build(json, data, declared);
    }
  }
}

const files = await corpus();
const tensorsBefore = memory().numTensors;
const unexpected: string[] = [];
let accepted = 0;
let rejected = 0;
let maxInput = 0;
globalThis.gc?.();
const baselineKB = process.resourceUsage().maxRSS;
const rssStartKB = Math.round(process.memoryUsage.rss() / 1024);
fc.assert(
  fc.property(fc.nat(files.length - 1), mutation, (pick, m) => {
    const bytes = mutate(files[pick], m);
    maxInput = Math.max(maxInput, bytes.length);
    try {
      const { tensors } = parseSafetensors(bytes);
      for (const t of Object.values(tensors)) t.dispose();
      accepted++;
    } catch (e) {
      if (e instanceof NerveError) rejected++;
      else if (unexpected.length < 20)
        unexpected.push(
          `${(e as Error)?.name}: ${(e as Error)?.message} (mutation ${JSON.stringify(m, (_, v) => (typeof v === 'bigint' ? String(v) : v))})`,
        );
    }
    return true;
  }),
  { numRuns: runs, seed },
);
const peakKB = process.resourceUsage().maxRSS;
process.stdout.write(
  `${JSON.stringify({ runs, accepted, rejected, unexpected, maxInput, baselineKB, rssStartKB, peakKB, leakedTensors: memory().numTensors - tensorsBefore })}\n`,
);
