// The server at the edges of its machine, as an attacker (or bad luck) would bring it there: a
// full disk under its log and its database (a real tmpfs, mounted here), a damaged database file,
// text made to forge lines or reorder what is shown, over-long path parameters.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER, tempDir, userEnv } from '../helpers/cli.ts';
import { ADMIN_TOKEN, adminApi, api, randomMachineId, seedOrg } from '../helpers/server.ts';

/** A tmpfs of `size` mounted on a new folder, or why it cannot be (then the test skips, saying so). */
const mountTmpfs = (size: string): { dir?: string; refused?: string } => {
  const dir = tempDir('kls-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
    return { dir };
  } catch (error) {
    return { refused: String((error as { stderr?: Buffer }).stderr ?? error).trim() };
  }
};
const tmpfs = mountTmpfs('4m');
afterAll(() => {
  if (tmpfs.dir) execFileSync('umount', ['-l', tmpfs.dir]);
});

/** Writes zeros into `file` until the disk is full. */
const fillDisk = (file: string) => {
  const fd = openSync(file, 'w');
  const zeros = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, zeros);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
};

describe.skipIf(!tmpfs.dir)(
  `a full disk${tmpfs.dir ? '' : ` (skipped: cannot mount a tmpfs here: ${tmpfs.refused}; run as root)`}`,
  () => {
    it('under the log and the database: /healthz keeps answering, writes answer 503 DISK_FULL naming the fix, and once there is room the log says what it dropped', async () => {
      const dir = tmpfs.dir!;
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir);
      const logFile = join(dir, 'server.log');
      const log = openSync(logFile, 'a');
      // As a service manager would run it: stdout and stderr into a file on the same disk.
      const child = spawn(
        process.execPath,
        [SERVER, '--data-dir', dataDir, 'start', '--port', '0', '--log-level', 'debug'],
        {
          env: userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }),
          stdio: ['ignore', log, log],
        },
      );
      closeSync(log);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        let url = '';
        for (let i = 0; i < 200 && !url; i++) {
          await new Promise((r) => setTimeout(r, 50));
          url = /"address":"(http:\/\/[^"]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1] ?? '';
        }
        expect(url).not.toBe('');
        const { org, apiKey } = await seedOrg(url);

        // Answered within 2 s, or not at all (the old server stopped listening).
        const healthz = async () =>
          (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).status;
        fillDisk(join(dir, 'fill'));
        for (let i = 0; i < 50; i++) expect(await healthz()).toBe(200);
        const created = await adminApi(url, 'POST', '/orgs', { name: 'Full Disk Corp' });
        expect(created.status).toBe(503);
        expect(created.body.error.code).toBe('DISK_FULL');
        expect(created.body.error.message).toMatch(
          /is full: free space on it .*nothing was changed/,
        );
        const activation = await api(
          url,
          'POST',
          '/v1/sessions',
          { orgId: org, product: 'KRE', machineId: randomMachineId() },
          apiKey,
        );
        expect([201, 503]).toContain(activation.status);
        if (activation.status === 503) expect(activation.body.error.code).toBe('DISK_FULL');
        const metrics = await api(url, 'GET', '/metrics', undefined, ADMIN_TOKEN);
        expect(metrics.status).toBe(200);
        expect(Number(/kls_log_lines_dropped_total (\d+)/.exec(metrics.body)![1])).toBeGreaterThan(
          0,
        );

        rmSync(join(dir, 'fill'));
        expect((await adminApi(url, 'POST', '/orgs', { name: 'Room again' })).status).toBe(201);
        expect(await healthz()).toBe(200);
        expect(child.exitCode).toBeNull();
        const notice = readFileSync(logFile, 'utf8')
          .split('\n')
          .find((l) => l.includes('log lines were dropped'));
        expect(notice).toBeDefined();
        expect(JSON.parse(notice!)).toMatchObject({
          level: 40,
          msg: expect.stringMatching(/^\d+ log lines were dropped: .*\(ENOSPC\); free space/),
        });
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    });
  },
);
