/**
 * The network of `pnpm bench:resnet`: `resnet18()` from @nerve/models, with
 * torchvision's structure and parameter names, so the same seeded values
 * go into the same parameters as in torch_resnet.py's torchvision model.
 */
import type { Module } from '@nerve/layers';
import { resnet18 as build } from '@nerve/models';

/** The model and where it came from (printed in the benchmark's header). */
export interface Net {
  model: Module;
  source: string;
}

export async function resnet18(numClasses: number): Promise<Net> {
  return { model: build({ numClasses }), source: '@nerve/models resnet18()' };
}
