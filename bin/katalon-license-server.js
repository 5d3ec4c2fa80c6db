#!/usr/bin/env node
import * as nodeModule from 'node:module';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 19)) {
  nodeModule.enableCompileCache?.();
  await import('../dist/katalon-license-server.js');
} else
  await (await import('./node-check.js')).runElsewhere('katalon-license-server', import.meta.url);
