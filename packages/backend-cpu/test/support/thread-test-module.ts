/**
 * A hand-assembled WebAssembly module for the pool's tests and measurements
 * (internal). It imports only a shared `env.memory` and exports, in order:
 *   fill(ptr, len, value)   stores the i32 `value` at ptr, ptr+4, … (len words)
 *   lcg(ptr, len, rounds)   replaces each i32 word x by `rounds` steps of
 *                           x ← x·1664525 + 1013904223 (mod 2³²): compute-bound
 *   nop()                   does nothing
 *   boom()                  traps (`unreachable`)
 * Binary format: WebAssembly Core Specification 2.0, chapter 5.
 */

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const I32 = 0x7f;
// Opcodes used below.
const [BLOCK, LOOP, BR, BR_IF, END, GET, SET, CONST] = [
  0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x20, 0x21, 0x41,
];
const [GE_U, ADD, MUL, SHL, LOAD, STORE, UNREACHABLE] = [0x4f, 0x6a, 0x6c, 0x74, 0x28, 0x36, 0x00];
// address = local0 + local3 * 4
const ADDR = [GET, 0, GET, 3, CONST, 2, SHL, ADD];
// `for (local3 = 0; local3 < local1; local3++) body` (local3 starts at 0)
// biome-ignore format: one instruction per group reads better than one byte per line
const forEach = (body: number[]) => [
  BLOCK, 0x40, LOOP, 0x40,
  GET, 3, GET, 1, GE_U, BR_IF, 1,
  ...body,
  GET, 3, CONST, 1, ADD, SET, 3, BR, 0,
  END, END,
];

const FILL = forEach([...ADDR, GET, 2, STORE, 2, 0]);
// locals: 3 i, 4 round, 5 x
// biome-ignore format: as above
const LCG = forEach([
  ...ADDR, LOAD, 2, 0, SET, 5,
  CONST, 0, SET, 4,
  BLOCK, 0x40, LOOP, 0x40,
  GET, 4, GET, 2, GE_U, BR_IF, 1,
  GET, 5, CONST, ...sleb(1664525), MUL, CONST, ...sleb(1013904223), ADD, SET, 5,
  GET, 4, CONST, 1, ADD, SET, 4, BR, 0,
  END, END,
  ...ADDR, GET, 5, STORE, 2, 0,
]);

const body = (localI32s: number, code: number[]) => {
  const b = [...(localI32s ? [1, localI32s, I32] : [0]), ...code, END];
  return [...uleb(b.length), ...b];
};

/** The module's bytes; its memory import is shared with limits [minPages, maxPages]. */
export function testModuleBytes(minPages: number, maxPages: number): Uint8Array<ArrayBuffer> {
  const exp = (n: string, func: number) => [...name(n), 0, func];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // types: 0 = (i32 i32 i32) -> (), 1 = () -> ()
    ...section(1, [2, 0x60, 3, I32, I32, I32, 0, 0x60, 0, 0]),
    // import env.memory, shared with a maximum (limits flag 3)
    ...section(2, [
      1,
      ...name('env'),
      ...name('memory'),
      2,
      3,
      ...uleb(minPages),
      ...uleb(maxPages),
    ]),
    ...section(3, [4, 0, 0, 1, 1]),
    ...section(7, [4, ...exp('fill', 0), ...exp('lcg', 1), ...exp('nop', 2), ...exp('boom', 3)]),
    ...section(10, [
      4,
      ...body(1, FILL),
      ...body(3, LCG),
      ...body(0, []),
      ...body(0, [UNREACHABLE]),
    ]),
  ];
  return new Uint8Array(bytes);
}

/** One step-count of the `lcg` export, in JavaScript: the reference for tests. */
export function lcgReference(x: number, rounds: number): number {
  for (let r = 0; r < rounds; r++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  return x;
}
