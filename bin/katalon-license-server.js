#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
enableCompileCache?.();
await import('../dist/katalon-license-server.js');
