#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { ensureNode } from './node-check.js';

if (await ensureNode('katalon-license-server', import.meta.url)) {
  nodeModule.enableCompileCache?.();
  await import('../dist/katalon-license-server.js');
}
