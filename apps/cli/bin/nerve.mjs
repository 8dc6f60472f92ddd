#!/usr/bin/env node
// The published entry point: the bundled CLI (built by `pnpm --filter @nerve/cli bundle`).
import '../dist/nerve.mjs';
