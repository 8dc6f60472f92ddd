#!/usr/bin/env bash
# Bundles test/device/check.ts (the conformance suite and this package's tests,
# with a vitest stand-in) into .device/webgpu-check.mjs for the lent GPU machine
# (--ignore-annotations: the test files are side-effect imports the package.json
# sideEffects list would otherwise drop).
# Usage, from the project root, after ../shared/device/prepare.sh has made .device/:
#   packages/backend-webgpu/test/device/build.sh
#   device tool: carry [".device"], command:
#   source .device/enter.sh && node .device/webgpu-check.mjs 2>&1 | tee $OUT/log
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
here=packages/backend-webgpu/test/device
esbuild=$(ls -d node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
"$esbuild" "$here/check.ts" --bundle --platform=node --format=esm --target=node20 \
  --conditions=@nerve/source --alias:vitest="./$here/vitest-shim.ts" \
  --ignore-annotations --external:webgpu --outfile=.device/webgpu-check.mjs --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
ls -la .device/webgpu-check.mjs
