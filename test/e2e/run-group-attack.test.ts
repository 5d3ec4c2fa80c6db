// A licensee with an API key runs a command that puts its work in the background and exits at once
// (`sh -c 'tests & exit 0'`): no daemonizing, no closed fds, the work still in the run's process
// group. katalonc ended the run with the command's first process and released the session, and
// the work went on without a seat while another run took it. The run is its command's whole
// process group: what is left of it ends with it. The real CLI and a real server on 127.0.0.1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { katalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { seedOrg, startServer, type TestServer } from '../helpers/server.ts';

describe.runIf(process.platform !== 'win32')(
  'a command that leaves its work in the background',
  () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ args: ['--lease-seconds', '3'] });
    });
    afterAll(() => server.stop());

    it('online: the work left in the run’s process group ends when the run does, it does not go on without a seat', async () => {
      const seed = await seedOrg(server.url, { quota: 1 });
      const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
      const ran = join(tempDir(), 'ran');
      const args = ['-enableLicenseRetry=false', `-serverUrl=${server.url}`, `-orgID=${seed.org}`];
      const r = await katalonc(
        [...args, 'run', '--', 'sh', '-c', `(sleep 4; echo ran > ${ran}) & exit 0`],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      // The seat is free again: another run takes it.
      const second = await katalonc([...args, 'run', '--', 'echo', 'SECOND-RAN'], env);
      expect(second.stdout).toContain('SECOND-RAN');
      await new Promise((done) => setTimeout(done, 6000));
      expect(existsSync(ran), 'the background work ran on after its run had ended').toBe(false);
    });
  },
);
