// The server at the edges of its machine, as an attacker (or bad luck) would bring it there: a
// full disk under its log and its database (a real tmpfs, mounted here), a damaged database file,
// text made to forge lines or reorder what is shown, over-long path parameters.
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, ROOT, SERVER, tempDir, userEnv } from '../helpers/cli.ts';
import { joinAs } from '../helpers/console.ts';
import {
  ADMIN_TOKEN,
  adminApi,
  adminCli,
  api,
  randomMachineId,
  seedOrg,
  startServer,
  type TestServer,
} from '../helpers/server.ts';

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

describe('text made to forge lines or reorder what is shown', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const forged = [
    'Acme\nid: 999',
    'Acme\u0000',
    'Acme\u001b[2J',
    'Acme\u0085',
    'Acme \u202eexe.txt',
    'Acme\u2067',
  ];

  it('is refused on input, saying which field and what to do: names, e-mail addresses, host and OS user names (API, CLI)', async () => {
    for (const name of forged) {
      const r = await adminApi(server.url, 'POST', '/orgs', { name });
      expect(r.status, JSON.stringify(name)).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'BAD_REQUEST',
        message:
          'body/name holds a control or bidirectional character (a newline, an escape, U+202E…): remove it',
      });
    }
    const cli = await adminCli(server.dataDir, ['org', 'create', '--name', 'Acme\nid: 999']);
    expect(cli.code).toBe(4);
    expect(cli.stderr).toContain('holds a control or bidirectional character');
    const { org, apiKey } = await seedOrg(server.url);
    for (const email of ['a\n@acme.test', 'a@acme.test\u202e', 'ädmin@acme.test']) {
      const r = await adminApi(server.url, 'POST', `/orgs/${org}/invitations`, {
        email,
        role: 'member',
      });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('is not an e-mail address');
    }
    for (const field of [{ hostname: 'host\u001b]0;owned\u0007' }, { osUser: 'u\u202e' }]) {
      const r = await api(
        server.url,
        'POST',
        '/v1/sessions',
        { orgId: org, product: 'KRE', machineId: randomMachineId(), ...field },
        apiKey,
      );
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('holds a control or bidirectional character');
    }
  });

  it('stored before the rule, is shown escaped: org list, the console', async () => {
    const { org } = await seedOrg(server.url);
    const email = `viewer${org}@acme.test`;
    const viewer = await joinAs(server.url, org, email, 'owner');
    // As if written by an older server: straight into the database.
    const db = new DatabaseSync(join(server.dataDir, 'licenses.db'));
    db.exec('PRAGMA busy_timeout = 5000');
    db.prepare('UPDATE orgs SET name = ? WHERE id = ?').run('Evil\nid: 999\u202eexe.txt', org);
    db.close();
    const list = await adminCli(server.dataDir, ['org', 'list']);
    expect(list.stdout).not.toMatch(/\u202e|^id: 999/m);
    expect(list.stdout).toContain('Evil\\x0aid: 999\\u202eexe.txt');
    const page = (await viewer.get('/console/orgs')).text;
    expect(page).not.toContain('\u202e');
    expect(page).toContain('Evil\\x0aid: 999\\u202eexe.txt');
  });

  it('an over-long path parameter or a broken %-escape gets the one error shape', async () => {
    for (const [method, path, status] of [
      ['DELETE', `/v1/admin/orgs/1/users/${'a'.repeat(400)}@acme.test`, 414],
      ['GET', `/console/invitations/${'a'.repeat(400)}`, 414],
      ['GET', '/v1/sessions/%E0%A4%A', 400],
    ] as const) {
      const r = await api(server.url, method, path, undefined, ADMIN_TOKEN);
      expect(r.status, path).toBe(status);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(r.body.error.code).toBe('BAD_REQUEST');
      expect(r.body.error.message).toMatch(/check the URL$/);
      expect(r.body.error.message).not.toContain('aaaa');
    }
  });
});

describe('a damaged database', () => {
  it('is refused at start, with what is damaged and how to recover, exit code 1; not found later by a request', async () => {
    const dataDir = tempDir('kls-damaged-');
    for (let i = 0; i < 10; i++)
      await adminCli(dataDir, ['org', 'create', '--name', `Org ${i} ${'x'.repeat(500)}`]);
    // Scribble over cells of the last page (a table's leaf): the file still opens.
    const file = join(dataDir, 'licenses.db');
    const pages = statSync(file).size / 4096;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 4096 * (pages - 1) + 8);
    closeSync(fd);
    // A server that starts on it is stopped after 10 s (and the test fails).
    const started = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (done) =>
        execFile(
          process.execPath,
          [SERVER, '--data-dir', dataDir, 'start', '--port', '0'],
          { env: userEnv(undefined, { KLS_ADMIN_TOKEN: ADMIN_TOKEN }), timeout: 10_000 },
          (error, stdout, stderr) =>
            done({ code: error ? (error.code as number | null) : 0, stdout, stderr }),
        ),
    );
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(
      /^error: the database .*licenses\.db is damaged \(.+\): stop the server, restore the file from a backup \(or salvage it: sqlite3 .* \.recover/m,
    );
    expect(started.stdout).not.toContain('listening');
  });
});

describe("the checkout's development root key", () => {
  it('is 0700 (folder) and 0600 (files) after every build, even when found looser', async () => {
    const dir = join(ROOT, '.dev-root');
    chmodSync(dir, 0o705);
    for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o604);
    const built = await run(
      join(ROOT, 'scripts', 'build.ts'),
      ['--outdir', tempDir('kls-build-')],
      userEnv(),
    );
    expect(built.code, built.stderr).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir))
      expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600);
  });
});
