import '@nerve/backend-cpu';
import '@nerve/backend-webgpu';
import { ready } from '@nerve/core';
import { getExperiment, runExperiment } from './src/index.js';
import { nodeLabData } from './src/node.js';
await ready('webgpu');
for (const id of process.argv.slice(2)) {
  const t0 = performance.now();
  try {
    const r = await runExperiment(getExperiment(id), { backend: 'webgpu', quick: true, data: nodeLabData });
    console.log(id, 'ok', ((performance.now() - t0) / 1000).toFixed(1), 's', JSON.stringify(r.findings?.map?.((f: any) => f.held ?? f)).slice(0, 300));
  } catch (e) {
    console.log(id, 'FAIL', String((e as Error).message).slice(0, 400));
  }
}
process.exit(0);
