/**
 * @nerve/core/base — the parts of core that need no tensor: NerveError and
 * the counter-based random generator with `manualSeed`. `@nerve/core` loads
 * the whole tensor library (its ops patch Tensor on import); a module that
 * only throws NerveErrors and seeds, such as @nerve/tune's study storage and
 * its workers, imports this instead, so a bundled storage worker neither
 * parses nor evaluates the tensor code it never calls. These are the same
 * modules `@nerve/core` re-exports: `instanceof NerveError` and the seeded
 * default generator are shared with it.
 *
 * @module @nerve/core/base
 */
export { NerveError, fmtShape } from './errors.js';
export {
  Generator,
  type GeneratorState,
  getDefaultGenerator,
  manualSeed,
  philox4x32,
} from './random.js';
