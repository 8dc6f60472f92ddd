/**
 * A small WebAssembly binary emitter, enough for the CPU backend's kernels:
 * one imported memory (`env.memory`), functions with i32/f32/v128 locals,
 * structured control flow, loads/stores with static offsets, and the SIMD
 * instructions the kernels use. Binary format: WebAssembly Core Specification
 * 2.0, chapter 5; SIMD opcodes from the same; relaxed SIMD from the
 * relaxed-simd proposal (f32x4.relaxed_madd = 0xfd 0x105).
 *
 * Misuse (an unknown local, a branch to a label that is not open, an
 * unbalanced block, a call to an undeclared function) throws while emitting,
 * with a message naming the function, instead of producing a module that
 * fails validation with an opaque byte offset.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const TYPE_CODE: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`wasm emit: uleb expects an integer in [0, 2^32), received ${n}`);
  }
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) {
    throw new RangeError(`wasm emit: sleb expects a 32-bit integer, received ${n}`);
  }
  n |= 0; // values in [2^31, 2^32) are written as their two's-complement i32
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function str(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A branch target handed to the body of `block`/`loop`; valid only while that body runs. */
export interface Label {
  readonly depth: number;
}

/** Plain opcodes (no immediates), by their text-format names. */
const OPS = {
  unreachable: [0x00],
  drop: [0x1a],
  select: [0x1b],
  return: [0x0f],
  'i32.eqz': [0x45],
  'i32.eq': [0x46],
  'i32.ne': [0x47],
  'i32.lt_s': [0x48],
  'i32.lt_u': [0x49],
  'i32.gt_s': [0x4a],
  'i32.gt_u': [0x4b],
  'i32.le_s': [0x4c],
  'i32.le_u': [0x4d],
  'i32.ge_s': [0x4e],
  'i32.ge_u': [0x4f],
  'i32.add': [0x6a],
  'i32.sub': [0x6b],
  'i32.mul': [0x6c],
  'i32.and': [0x71],
  'i32.or': [0x72],
  'i32.shl': [0x74],
  'i32.shr_u': [0x76],
  'f32.add': [0x92],
  'f32.sub': [0x93],
  'f32.mul': [0x94],
  'f32.div': [0x95],
  'f32.sqrt': [0x91],
  'f32.max': [0x97],
  'f32x4.splat': [0xfd, ...uleb(0x13)],
  'f32x4.add': [0xfd, ...uleb(0xe4)],
  'f32x4.sub': [0xfd, ...uleb(0xe5)],
  'f32x4.mul': [0xfd, ...uleb(0xe6)],
  'f32x4.div': [0xfd, ...uleb(0xe7)],
  'f32x4.sqrt': [0xfd, ...uleb(0xe3)],
  'f32x4.max': [0xfd, ...uleb(0xe9)],
  'f32x4.relaxed_madd': [0xfd, ...uleb(0x105)],
  'f32x4.le': [0xfd, ...uleb(0x45)],
  'v128.andnot': [0xfd, ...uleb(0x4f)],
  // Bulk memory (WebAssembly 2.0): memory index 0.
  'memory.copy': [0xfc, ...uleb(0x0a), 0x00, 0x00],
  'memory.fill': [0xfc, ...uleb(0x0b), 0x00],
} as const;

export type PlainOp = keyof typeof OPS;

/** Memory opcodes and their natural alignment (log2 bytes). */
const MEM_OPS = {
  'i32.load': [[0x28], 2],
  'i64.load': [[0x29], 3],
  'f32.load': [[0x2a], 2],
  'i32.store': [[0x36], 2],
  'i64.store': [[0x37], 3],
  'f32.store': [[0x38], 2],
  'v128.load': [[0xfd, ...uleb(0x00)], 4],
  'v128.load32_splat': [[0xfd, ...uleb(0x09)], 2],
  'v128.store': [[0xfd, ...uleb(0x0b)], 4],
} as const satisfies Record<string, readonly [readonly number[], number]>;

export type MemOp = keyof typeof MEM_OPS;

/** Builds one function body. Obtained from `ModuleBuilder.func`. */
export class FuncBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  private open = 0;

  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
    private readonly resolveFunc: (name: string) => number,
  ) {}

  private fail(msg: string): never {
    throw new Error(`wasm emit (function ${this.name}): ${msg}`);
  }

  /** Parameter i's local index, checked. */
  param(i: number): number {
    if (!(i >= 0 && i < this.params.length)) this.fail(`no parameter ${i}`);
    return i;
  }

  /** Declares a local and returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(name: PlainOp): this {
    const bytes = OPS[name];
    if (bytes === undefined) this.fail(`unknown opcode ${String(name)}`);
    this.code.push(...bytes);
    return this;
  }

  private checkLocal(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.params.length + this.locals.length)) {
      this.fail(`local ${i} is not declared`);
    }
    return i;
  }

  get(i: number): this {
    this.code.push(0x20, ...uleb(this.checkLocal(i)));
    return this;
  }

  set(i: number): this {
    this.code.push(0x21, ...uleb(this.checkLocal(i)));
    return this;
  }

  tee(i: number): this {
    this.code.push(0x22, ...uleb(this.checkLocal(i)));
    return this;
  }

  i32(v: number): this {
    this.code.push(0x41, ...sleb(v));
    return this;
  }

  f32(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.code.push(0x43, ...b);
    return this;
  }

  /** i64.const 0. */
  i64Zero(): this {
    this.code.push(0x42, 0x00);
    return this;
  }

  /** v128.const with all sixteen bytes zero. */
  v128Zero(): this {
    this.code.push(0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0));
    return this;
  }

  /**
   * i8x16.shuffle of the two v128 on the stack by 32-bit lanes: result lane
   * i is lane lanes[i] of a (0–3) or of b (4–7).
   */
  shuffle32(lanes: readonly [number, number, number, number]): this {
    const bytes = lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
    this.code.push(0xfd, ...uleb(0x0d), ...bytes);
    return this;
  }

  /** A load or store with a constant byte offset added to the address on the stack. */
  mem(name: MemOp, offset = 0): this {
    const entry = MEM_OPS[name];
    if (entry === undefined) this.fail(`unknown memory opcode ${String(name)}`);
    this.code.push(...entry[0], ...uleb(entry[1]), ...uleb(offset));
    return this;
  }

  call(name: string): this {
    this.code.push(0x10, ...uleb(this.resolveFunc(name)));
    return this;
  }

  /** `block` with no result; `br(label)` inside jumps past its end. */
  block(body: (label: Label) => void): this {
    return this.structured(0x02, body);
  }

  /** `loop` with no result; `br(label)` inside jumps back to its start. */
  loop(body: (label: Label) => void): this {
    return this.structured(0x03, body);
  }

  /** `if` (pops an i32 condition) with an optional `else` arm. */
  if(then: () => void, otherwise?: () => void): this {
    this.code.push(0x04, 0x40);
    this.open++;
    then();
    if (otherwise) {
      this.code.push(0x05);
      otherwise();
    }
    this.code.push(0x0b);
    this.open--;
    return this;
  }

  /**
   * `for (i = init; i < limit; i += step) body()` over i32 locals, with the
   * test at the top so an empty range runs the body zero times.
   */
  forUp(i: number, init: () => void, limit: number, step: number, body: () => void): this {
    return this.counted(i, init, limit, () => this.i32(step), body);
  }

  /** `forUp` whose step is the value of the i32 local `step`. */
  forUpBy(i: number, init: () => void, limit: number, step: number, body: () => void): this {
    this.checkLocal(step);
    return this.counted(i, init, limit, () => this.get(step), body);
  }

  private counted(
    i: number,
    init: () => void,
    limit: number,
    step: () => void,
    body: () => void,
  ): this {
    init();
    this.set(i);
    return this.block((exit) => {
      this.get(i).get(limit).op('i32.ge_s').brIf(exit);
      this.loop((top) => {
        body();
        this.get(i);
        step();
        this.op('i32.add').tee(i).get(limit).op('i32.lt_s').brIf(top);
      });
    });
  }

  br(label: Label): this {
    this.code.push(0x0c, ...uleb(this.depthOf(label)));
    return this;
  }

  brIf(label: Label): this {
    this.code.push(0x0d, ...uleb(this.depthOf(label)));
    return this;
  }

  private structured(opcode: number, body: (label: Label) => void): this {
    this.code.push(opcode, 0x40);
    const label = { depth: ++this.open, live: true };
    body(label);
    if (this.open !== label.depth) this.fail('a block was left open');
    label.live = false;
    this.code.push(0x0b);
    this.open--;
    return this;
  }

  private depthOf(label: Label): number {
    const l = label as Label & { live?: boolean };
    if (!l.live || l.depth > this.open) this.fail('branch to a label whose block is not open');
    return this.open - l.depth;
  }

  /** The encoded body (locals + code + end), as the code section stores it. */
  encode(): number[] {
    if (this.open !== 0) this.fail('a block was left open');
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length; ) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), TYPE_CODE[this.locals[i]]]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface MemoryImport {
  /** Initial size in 64 KiB pages. */
  readonly initial: number;
  /** Maximum size in pages; required when shared. */
  readonly maximum?: number;
  readonly shared?: boolean;
}

/**
 * A module that imports its memory as `env.memory` and defines functions.
 * A function can call only functions declared before it (no recursion is
 * needed by the kernels, and it keeps `func` a single pass).
 */
export class ModuleBuilder {
  private readonly funcs: FuncBuilder[] = [];
  private readonly exported = new Set<string>();
  private readonly index = new Map<string, number>();
  private memory: MemoryImport | undefined;

  importMemory(m: MemoryImport): this {
    if (m.shared && m.maximum === undefined) {
      throw new Error('wasm emit: a shared memory needs a maximum');
    }
    this.memory = m;
    return this;
  }

  /** Declares function `name`; `exported` makes it visible as `instance.exports[name]`. */
  func(
    name: string,
    params: readonly ValType[],
    results: readonly ValType[],
    body: (f: FuncBuilder) => void,
    exported = false,
  ): this {
    if (this.index.has(name)) throw new Error(`wasm emit: function ${name} is declared twice`);
    const f = new FuncBuilder(name, params, results, (callee) => {
      const i = this.index.get(callee);
      if (i === undefined) throw new Error(`wasm emit (function ${name}): no function ${callee}`);
      return i;
    });
    this.index.set(name, this.funcs.length);
    this.funcs.push(f);
    if (exported) this.exported.add(name);
    body(f);
    return this;
  }

  encode(): Uint8Array<ArrayBuffer> {
    const sig = (f: FuncBuilder) => [
      0x60,
      ...vec(f.params.map((t) => [TYPE_CODE[t]])),
      ...vec(f.results.map((t) => [TYPE_CODE[t]])),
    ];
    const types: number[][] = [];
    const typeOf = this.funcs.map((f) => {
      const s = sig(f);
      let i = types.findIndex((t) => t.length === s.length && t.every((b, j) => b === s[j]));
      if (i < 0) i = types.push(s) - 1;
      return i;
    });
    const section = (id: number, payload: number[]) => [id, ...uleb(payload.length), ...payload];
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    out.push(...section(1, vec(types)));
    if (this.memory) {
      const { initial, maximum, shared } = this.memory;
      const flags = (maximum !== undefined ? 1 : 0) | (shared ? 2 : 0);
      const limits = [flags, ...uleb(initial), ...(maximum !== undefined ? uleb(maximum) : [])];
      out.push(...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]])));
    }
    out.push(...section(3, vec(typeOf.map((t) => uleb(t)))));
    const exports = [...this.exported].map((n) => [...str(n), 0x00, ...uleb(this.index.get(n)!)]);
    out.push(...section(7, vec(exports)));
    out.push(...section(10, vec(this.funcs.map((f) => f.encode()))));
    return new Uint8Array(out);
  }
}
