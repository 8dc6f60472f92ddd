#!/usr/bin/env bash
# Packs the WebGPU benchmark for the lent GPU machine: Node, the Vulkan loader
# and the webgpu package (../shared/device/prepare.sh), plus bench/webgpu.ts
# bundled with the workspace sources and the PyTorch baseline script.
# Then, on the device:  source .device/enter.sh && node .device/webgpu.mjs; python3 .device/torch_matmul.py
# Estimated, not measured: the full run takes about 3 minutes (matmul and gemv rows in four columns,
# MLP and CNN b64/b256 steps/s for three libraries); torch_matmul.py under a minute.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
../shared/device/prepare.sh
pnpm --filter @nerve/cli exec esbuild "$PWD/bench/webgpu.ts" --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --conditions=@nerve/source --outfile="$PWD/.device/webgpu.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
cp bench/torch_matmul.py .device/torch_matmul.py
du -sh .device | sed 's/^/carry size: /'
