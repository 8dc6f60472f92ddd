import '@nerve/backend-webgpu';
import { runConformance } from '@nerve/core/testing';
import { describe } from 'vitest';
import { available } from './gpu.js';

// Without an adapter the suite is skipped; gpu.ts prints why.
describe.runIf(available)('webgpu', () => {
  runConformance('webgpu');
});
