// A machine whose clock is ahead of the license server's by more than a lease (no NTP, a drifting
// VM; here libfaketime in katalonc's environment stands for it). The run watcher's limit for a
// silent katalonc was the lease's end, as signed, less the local clock, plus the grace: below zero
// there, so katalonc pinged its watcher every millisecond and killed its own command at once ("the
// run's watcher stopped answering"): no online run at all on such a machine. It must run, and a
// stopped katalonc's command must still be killed. The real CLI, a real server, a real SIGSTOP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { alive, startKatalonc, tempDir, userEnv, waitFor, waitForPid } from '../helpers/cli.ts';
import { installed, missing, requireAll } from '../helpers/network.ts';
import { adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const hasFaketime = process.platform === 'linux' && installed('faketime');

describe.runIf(hasFaketime || requireAll)(
  `katalonc on a machine whose clock is 10 minutes ahead of the server's${hasFaketime ? '' : ` (skipped: ${missing('libfaketime', 'faketime')})`}`,
  () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ args: ['--lease-seconds', '3'] });
    });
    afterAll(() => server.stop());

    it('runs its command, and stopped (SIGSTOP), its command is still killed within the lease and the grace', async () => {
      const seed = await seedOrg(server.url, { quota: 1 });
      await adminApi(server.url, 'PATCH', `/orgs/${seed.org}/pools/KRE`, { outageGraceMinutes: 0 });
      const env = userEnv(undefined, {
        KATALON_API_KEY: seed.apiKey,
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME: '+10m',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      });
      const pidFile = join(tempDir(), 'pid');
      const run = startKatalonc(
        [
          `-serverUrl=${server.url}`,
          `-orgID=${seed.org}`,
          'run',
          '--',
          'sh',
          '-c',
          `echo $$ > ${pidFile}; exec sleep 40`,
        ],
        env,
      );
      const command = await waitForPid(pidFile, 'the command');
      await new Promise((done) => setTimeout(done, 5000));
      expect(alive(command), 'the command was killed while katalonc ran').toBe(true);
      run.kill('SIGSTOP');
      try {
        await waitFor(() => !alive(command), 12_000, 'the stopped run to be ended');
      } finally {
        run.kill('SIGCONT');
        run.kill('SIGTERM');
        await run.result;
      }
    }, 60_000);
  },
);
