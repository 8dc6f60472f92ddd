import '@nerve/backend-cpu';
import * as core from '@nerve/core';
await core.ready('cpu');
const a = core.keep(core.tensor(new Float32Array(4), { shape: [2, 2] }));
const w = core.keep(core.tensor(new Float32Array(4), { shape: [2, 2] }));
w.requiresGrad = true;
for (let r = 0; r < 20000; r++) core.tidy(() => { let s = a; for (let i = 0; i < 20; i++) s = core.add(s, w); core.sum(s).backward(); w.grad?.dispose(); w.grad = null; });
