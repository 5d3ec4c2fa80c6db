#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { ensureNode } from './node-check.js';

if (await ensureNode('katalonc', import.meta.url)) {
  // The compile cache makes every start after the first skip parsing and compiling the bundle.
  nodeModule.enableCompileCache?.();
  await import('../dist/katalonc.js');
}
