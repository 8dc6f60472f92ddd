/**
 * The page's entry (bundled by ../bundle.ts): finds a WebGPU adapter through
 * navigator.gpu, runs the conformance groups named in the query string
 * (`?groups=unary,matmul&skip=["regex"]&steps=8`) on 'webgpu', then a few training steps on
 * 'cpu' and on 'webgpu', and publishes everything as `window.__result` for
 * the vitest test to read. `window.__progress` names the test in flight, so a
 * timeout can say where the page hung.
 */
/// <reference types="@webgpu/types" />
// (The root tsconfig loads only Node's types; the page and the backend's sources need WebGPU's.)
import '@nerve/backend-cpu';
import '@nerve/backend-webgpu';
import type { AdapterDescription, WebGpuBackend } from '@nerve/backend-webgpu';
import { getBackend, ready } from '@nerve/core';
import { runConformance } from '@nerve/core/testing';
import { type Failure, type RunReport, runRegistered } from './runner.js';
import { type TrainingRun, trainOn } from './training.js';

/** What the page reports back (read by webgpu-browser.test.ts). */
export interface PageResult {
  /** Set when the page could not run at all (no navigator.gpu, no adapter, a crash). */
  error?: string;
  passed: number;
  failed: number;
  failures: Failure[];
  adapterInfo: AdapterDescription | null;
  losses: { cpu: number[]; webgpu: number[] };
  groups: string[];
  conformance: Omit<RunReport, 'failures'> | null;
  training: { cpu: TrainingRun; webgpu: TrainingRun } | null;
  /** Uncaught errors and unhandled rejections seen by the page. */
  pageErrors: string[];
}

declare global {
  interface Window {
    __result?: PageResult;
    __progress?: { test: string; passed: number; failed: number };
  }
}

const pageErrors: string[] = [];
window.addEventListener('error', (e) => pageErrors.push(`error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) =>
  pageErrors.push(`unhandled rejection: ${(e.reason as Error)?.stack ?? String(e.reason)}`),
);

const result: PageResult = {
  passed: 0,
  failed: 0,
  failures: [],
  adapterInfo: null,
  losses: { cpu: [], webgpu: [] },
  groups: [],
  conformance: null,
  training: null,
  pageErrors,
};

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  result.groups = (params.get('groups') ?? '').split(',').filter(Boolean);
  const steps = Number(params.get('steps') ?? '8');
  const skip = (JSON.parse(params.get('skip') ?? '[]') as string[]).map((re) => new RegExp(re));

  // Checked here, before the backend, so the message speaks of the browser
  // (the backend's own message is written for Node).
  if (!navigator.gpu) {
    throw new Error(
      `navigator.gpu is undefined (isSecureContext ${isSecureContext}): WebGPU is off in this browser; chromium needs --enable-unsafe-webgpu where it has no GPU`,
    );
  }
  if (!(await navigator.gpu.requestAdapter())) {
    throw new Error(
      'navigator.gpu.requestAdapter() returned null: no WebGPU adapter in this browser (without a GPU, chromium offers its SwiftShader fallback adapter only with --enable-unsafe-webgpu)',
    );
  }
  await ready('webgpu');
  result.adapterInfo = (getBackend('webgpu') as WebGpuBackend).describe();

  runConformance('webgpu', { only: result.groups });
  const report = await runRegistered(skip, (test, r) => {
    window.__progress = { test, passed: r.passed, failed: r.failed };
  });
  const { failures, ...rest } = report;
  Object.assign(result, { passed: report.passed, failed: report.failed, failures });
  result.conformance = rest;

  window.__progress = { test: 'training', passed: report.passed, failed: report.failed };
  const cpu = await trainOn('cpu', steps);
  const webgpu = await trainOn('webgpu', steps);
  result.training = { cpu, webgpu };
  result.losses = { cpu: cpu.losses, webgpu: webgpu.losses };
}

main()
  .catch((e: unknown) => {
    // V8's stack starts with the message.
    result.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  })
  .finally(() => {
    window.__result = result;
  });
