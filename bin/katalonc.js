#!/usr/bin/env node
import * as nodeModule from 'node:module';

// Node.js older than 22.19: node-check.js (loaded only then) runs katalonc on the pinned Node.js.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 19)) {
  // The compile cache makes every start after the first skip parsing and compiling the bundle.
  nodeModule.enableCompileCache?.();
  await import('../dist/katalonc.js');
} else await (await import('./node-check.js')).runElsewhere('katalonc', import.meta.url);
