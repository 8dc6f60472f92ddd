import '@nerve/backend-webgpu';
import { runConformance } from '@nerve/core/testing';
import { describe, it } from 'vitest';
import { available, SKIP_REASON } from './gpu.js';

describe.runIf(available)('webgpu', () => {
  runConformance('webgpu');
});

if (!available) {
  describe('webgpu conformance', () => {
    it.skip(`skipped: ${SKIP_REASON}`, () => {});
  });
}
