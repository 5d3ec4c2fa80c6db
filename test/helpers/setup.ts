import { afterAll } from 'vitest';
import { removeTempDirs } from '../../scripts/harness/env.ts';

// Runs in each test worker before its test file: the shell's variables that the programs read
// leave this process too, for the code that unit tests load in-process (src/platform/environment.ts
// and src/server/environment.ts read them once, at import). Child processes get cleanEnv() instead
// (helpers/cli.ts). PG* go too: the pg client the tests connect with reads them (PGSSLMODE,
// PGPASSWORD…), as the server's would. The suite's own switches stay: they say what may not skip.
const SWITCHES = new Set(['KATALONC_REQUIRE_ALL', 'KLS_REQUIRE_POSTGRES']);
const READ_BY_THE_PROGRAMS =
  /^(KATALON|KLS_|PG[A-Z_]+$|(HTTPS?|NO|ALL)_PROXY$|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$|NO_COLOR$|FORCE_COLOR$|KUBERNETES_SERVICE_HOST$|container$)/i;

for (const name of Object.keys(process.env))
  if (READ_BY_THE_PROGRAMS.test(name) && !SWITCHES.has(name)) delete process.env[name];

// Last of the file's after-hooks (they run in reverse order): its servers and clusters are stopped.
afterAll(removeTempDirs);
