/**
 * Initializers by name, for configuration files and command lines.
 */
import { NerveError } from '@nerve/core';
import {
  type Initializer,
  heNormal,
  heUniform,
  lecunNormal,
  normal,
  ones,
  smallRandom,
  truncatedNormal,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from './initializers.js';
import { orthogonal } from './orthogonal.js';

const FACTORIES: Record<string, () => Initializer> = {
  zeros: () => zeros,
  ones: () => ones,
  small: () => smallRandom(),
  smallRandom: () => smallRandom(),
  normal: () => normal(),
  uniform: () => uniform(),
  truncatedNormal: () => truncatedNormal(),
  xavier: () => xavierUniform(),
  xavierUniform: () => xavierUniform(),
  xavierNormal: () => xavierNormal(),
  glorot: () => xavierUniform(),
  glorotUniform: () => xavierUniform(),
  glorotNormal: () => xavierNormal(),
  he: () => heNormal(),
  heNormal: () => heNormal(),
  heUniform: () => heUniform(),
  kaiming: () => heNormal(),
  kaimingNormal: () => heNormal(),
  kaimingUniform: () => heUniform(),
  lecun: () => lecunNormal(),
  lecunNormal: () => lecunNormal(),
  orthogonal: () => orthogonal(),
};

/** The names `getInitializer` accepts. */
export const INITIALIZER_NAMES: readonly string[] = Object.keys(FACTORIES);

const canonical = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
const BY_KEY = new Map(INITIALIZER_NAMES.map((n) => [canonical(n), n]));

/**
 * An initializer with default arguments by name: 'xavier' (uniform, as in
 * Glorot & Bengio 2010), 'he' (normal, as in He et al. 2015), 'small'
 * (N(0, 0.01²)), … Case, '_' and '-' are ignored ('xavier_uniform' works).
 */
export function getInitializer(name: string): Initializer {
  const key = typeof name === 'string' ? BY_KEY.get(canonical(name)) : undefined;
  if (key === undefined) {
    throw new NerveError(
      'getInitializer',
      `one of ${INITIALIZER_NAMES.map((n) => `'${n}'`).join(', ')}`,
      JSON.stringify(name),
    );
  }
  return FACTORIES[key]();
}
