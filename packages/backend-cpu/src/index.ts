/**
 * @nerve/backend-cpu: importing this module registers the `cpu` backend.
 */
import { registerBackend } from '@nerve/core';
import { CpuBackend } from './cpu-backend.js';

export { CpuBackend };

registerBackend('cpu', () => new CpuBackend(), 1);
