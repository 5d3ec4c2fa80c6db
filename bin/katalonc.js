#!/usr/bin/env node
// The compile cache makes every start after the first skip parsing and compiling the bundle.
import { enableCompileCache } from 'node:module';
enableCompileCache?.();
await import('../dist/katalonc.js');
