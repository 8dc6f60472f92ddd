/**
 * Which WebAssembly SIMD flavours this runtime runs, found once by
 * validating tiny modules built with the same emitter as the kernels.
 */
import { ModuleBuilder, type PlainOp } from './emit.js';

/** (v128, v128, v128) -> v128 applying one SIMD op. */
function probe(op: PlainOp, arity: 2 | 3): Uint8Array<ArrayBuffer> {
  const params = new Array<'v128'>(arity).fill('v128');
  return new ModuleBuilder()
    .func(
      'f',
      params,
      ['v128'],
      (f) => {
        for (let i = 0; i < arity; i++) f.get(i);
        f.op(op);
      },
      true,
    )
    .encode();
}

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/**
 * Node 20 (V8 11.3) ships relaxed SIMD behind a flag; flags only affect
 * modules compiled afterwards, so this runs before any kernel is compiled.
 * Reached through process.getBuiltinModule (no static `node:` import) so
 * the package still bundles for browsers, where relaxed SIMD is on by default.
 */
function enableRelaxedSimdFlag(): void {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const v8 = proc?.getBuiltinModule?.('node:v8') as
      | { setFlagsFromString?: (flags: string) => void }
      | undefined;
    v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
  } catch {
    // Not Node, or flags are locked: relaxed SIMD is then whatever the engine offers.
  }
}

let cached: { simd: boolean; relaxed: boolean } | undefined;

/** Whether f32x4 SIMD and relaxed SIMD (f32x4.relaxed_madd) validate here. */
export function detectSimd(): { simd: boolean; relaxed: boolean } {
  if (cached) return cached;
  const simd = validates(probe('f32x4.add', 2));
  let relaxed = false;
  if (simd) {
    relaxed = validates(probe('f32x4.relaxed_madd', 3));
    if (!relaxed) {
      enableRelaxedSimdFlag();
      relaxed = validates(probe('f32x4.relaxed_madd', 3));
    }
  }
  cached = { simd, relaxed };
  return cached;
}
