// npm run bench: every performance target, each as a ratio against a baseline measured in the same
// run on this machine. Medians of repeated runs after a warm-up. Prints one table and writes it,
// with the CPU and Node version, to bench/results.md. One file per section, run in this order (the
// later ones use the license folder and the server the earlier ones made); `--quick` for fewer runs.
import { join } from 'node:path';
import { removeTempDirs } from '../harness/env.ts';
import { benchConsole } from './console.ts';
import { writeResults } from './measure.ts';
import { benchOffline } from './offline.ts';
import { benchPostgres } from './postgres.ts';
import type { BenchStore } from './replica.ts';
import { benchRun } from './run.ts';
import { benchStore } from './server.ts';
import { benchStartUp } from './startup.ts';

const nodeE0 = benchStartUp();
const offline = benchOffline(nodeE0);
const sqliteStore: BenchStore = { label: 'SQLite', dataDir: join(offline.work, 'server'), env: {} };
const { replica: sqliteServer } = await benchStore(sqliteStore, offline.thisMachine);
await benchConsole(sqliteStore, sqliteServer);
benchRun(offline, sqliteStore, sqliteServer);
sqliteServer.stop();
await benchPostgres(offline.work, offline.thisMachine);
writeResults();
removeTempDirs();
process.exit(0);
