/**
 * Data preparation on the host, training on the run's backend. Splits,
 * stratification and fitted statistics read values synchronously, which a
 * GPU backend cannot do; so experiments load and prepare their data on the
 * CPU backend (`onHost`) and then move what they train on to the run's
 * backend (`toDevice`), as the site's digits demo does. On the CPU both are
 * no-ops: the same tensors, the same ops, the same numbers as before.
 */
import { type Tensor, getBackendName, listBackends, toBackend } from '@nerve/core';
import { TensorDataset } from '@nerve/data';
import type { LabData, LabTensors } from '../experiment.js';
import { withBackend } from './select-backend.js';

/**
 * The backend that prepares data: 'cpu' where the caller registered it
 * (it reads synchronously), else the active backend.
 */
export function hostBackend(): string {
  return listBackends().includes('cpu') ? 'cpu' : getBackendName();
}

/**
 * Runs `fn` with the host backend active, so the tensors it creates live
 * there, then restores the run's backend. Nothing else may run tensor code
 * while `fn` awaits (experiments are sequential).
 */
export function onHost<T>(fn: () => T | Promise<T>): Promise<T> {
  return withBackend(hostBackend(), async () => fn());
}

/**
 * `t` on backend `name` (the active one by default): `t` itself where it is
 * there already, else a copy, and `t` is disposed (a move).
 */
export async function toDevice(t: Tensor, name: string = getBackendName()): Promise<Tensor> {
  if (t.backend.name === name) return t;
  try {
    return await toBackend(t, name);
  } finally {
    t.dispose();
  }
}

/** A dataset's tensors moved to backend `name` (the active one by default), as `toDevice`. */
export async function datasetToDevice(
  ds: TensorDataset,
  name: string = getBackendName(),
): Promise<TensorDataset> {
  if (ds.tensors.every((t) => t.backend.name === name)) return ds;
  const moved: Tensor[] = [];
  for (const t of ds.tensors) moved.push(await toDevice(t, name));
  return new TensorDataset(...moved);
}

/** The digits loaded on the host; the caller disposes both. */
export function hostDigits(data: LabData): Promise<LabTensors> {
  return onHost(() => data.digits());
}
