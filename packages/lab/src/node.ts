/**
 * Node's data loaders for the lab: the bundled digits and the system's
 * Fashion-MNIST, read through @nerve/data's file readers. Import from
 * '@nerve/lab/node'; browsers pass their own LabData.
 *
 * @module @nerve/lab/node
 */
import { loadDigits, loadFashionMnist } from '@nerve/data';
import type { LabData } from './experiment.js';

/** LabData backed by files on this machine. */
export const nodeLabData: LabData = {
  digits: async () => loadDigits(),
  fashionMnist: async () => loadFashionMnist(),
};
