import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  alive,
  KATALONC,
  katalonc,
  startKatalonc,
  tempDir,
  userEnv,
  waitFor,
  waitForPid,
  watcherOf,
} from '../helpers/cli.ts';
import {
  activateIn,
  adminApi,
  adminCli,
  api,
  heartbeatIn,
  seedOrg,
  startServer,
  type TestServer,
} from '../helpers/server.ts';
import {
  freePort,
  installed,
  makeCertificates,
  missing,
  requireAll,
  startProxy,
} from '../helpers/network.ts';
import { readFileSync as readPem } from 'node:fs';
import { startSmtp } from '../helpers/smtp.ts';
import { sqlOn } from '../helpers/counters.ts';
import { rootCertificates } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: ['--lease-seconds', '3', '--log-level', 'info'] });
});
afterAll(async () => {
  await server?.stop();
});

const online = async (quota = 2, serverUrl = server.url) => {
  const seed = await seedOrg(serverUrl, { quota });
  const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
  return { ...seed, env, args: [`-orgID=${seed.org}`, `-serverUrl=${serverUrl}`] };
};
/** The pid of the one katalonc run's watcher (katalonc's own executable, client/watcher.ts). */
const poolOf = async (org: number, base = server.url) =>
  (await adminApi(base, 'GET', `/orgs/${org}/pools/KRE`)).body;
const sleeper = (marker: string, seconds: number) => [
  'sh',
  '-c',
  `trap 'echo got-int > ${marker}.sig; kill $!; exit 130' INT; trap 'echo got-term > ${marker}.sig; kill $!; exit 143' TERM; sleep ${seconds} & touch ${marker}; wait`,
];

describe('online activation', () => {
  it('activate prints the pool summary and releases its session; katalonc-style bare form means activate', async () => {
    const o = await online();
    const r = await katalonc(['activate', ...o.args, '--json'], o.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).pool).toMatchObject({
      product: 'KRE',
      orgId: o.org,
      quota: 2,
      // Its own check's session, released again, is not counted.
      available: 2,
    });
    expect((await poolOf(o.org)).onlineSessions).toHaveLength(0);
    const bare = await katalonc([`-apiKey=${o.apiKey}`, ...o.args], userEnv());
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/Activated KRE/);
    expect(bare.stdout + bare.stderr).not.toContain(o.apiKey);
  });

  it('run holds one session while the command runs, then releases it; output in katalonc order', async () => {
    const o = await online();
    const marker = join(tempDir(), 'm');
    const run = startKatalonc([...o.args, '--', ...sleeper(marker, 2)], o.env);
    await waitFor(() => existsSync(marker), 10_000, 'the command');
    expect((await poolOf(o.org)).onlineSessions).toHaveLength(1);
    const r = await run.result;
    expect(r.code).toBe(0);
    expect(r.stderr.indexOf('The number of valid offline licenses: 0')).toBeLessThan(
      r.stderr.indexOf('Start activating online...'),
    );
    expect((await poolOf(o.org)).onlineSessions).toHaveLength(0);
    // A session's lock file goes with it: a CI machine's thousands of runs leave none behind.
    expect(readdirSync(join(o.env.HOME, '.katalon', 'katalonc', 'locks'))).toEqual([]);
  });

  it('quota 2, three parallel runs: the third fails with 6; with -enableLicenseRetry it runs after one ends', async () => {
    const o = await online(2);
    const markers = [join(tempDir(), 'a'), join(tempDir(), 'b')];
    const holders = markers.map((m) =>
      startKatalonc(['run', ...o.args, '--', ...sleeper(m, 3)], o.env),
    );
    await waitFor(() => markers.every(existsSync), 10_000, 'two sessions');
    const third = await katalonc(
      ['run', ...o.args, '-enableLicenseRetry=false', '--', 'true'],
      o.env,
    );
    expect(third.code).toBe(6);
    expect(third.stderr).toMatch(/all 2 KRE licenses are in use/);
    const waiting = await katalonc(
      [
        'run',
        ...o.args,
        '-enableLicenseRetry',
        '-licenseRetryInterval=3',
        '-licenseRetryMaxJitter=0',
        '-licenseRetryMaxDuration=60',
        '--',
        'true',
      ],
      // A retry minute of a second: "3 minutes" is 3 s, the deadline 60 s.
      { ...o.env, KATALONC_MINUTE_MS: '1000' },
    );
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.stderr).toMatch(/retrying in 3\.0 s \(try 1; \d+\.\d s left\)/);
    await Promise.all(holders.map((h) => h.result));
  });

  it('an interval equal to the duration tries again once, at the end of the duration', async () => {
    const o = await online(1);
    const marker = join(tempDir(), 'held');
    // Held well past the retries (a loaded machine slows katalonc's start); SIGINT ends it.
    const holder = startKatalonc(['run', ...o.args, '--', ...sleeper(marker, 60)], o.env);
    await waitFor(() => existsSync(marker), 10_000, 'the run that holds the one license');
    const r = await katalonc(
      [
        'run',
        ...o.args,
        '-licenseRetryMaxDuration=3',
        '-licenseRetryInterval=3',
        '-licenseRetryMaxJitter=0',
        '--',
        'true',
      ],
      // A retry minute of a second: the duration and the interval are 3 s.
      { ...o.env, KATALONC_MINUTE_MS: '1000' },
    );
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/retrying in [23]\.\d s \(try 1; /);
    expect(r.stderr, r.stderr).toMatch(/gave up after 2 tries in [34]\.\d s/);
    holder.kill('SIGINT');
    await holder.result;
  });

  it("-licenseRelease frees this machine's leftover sessions, never a live run's", async () => {
    const o = await online(2);
    const marker = join(tempDir(), 'm');
    const live = startKatalonc(['run', ...o.args, '--', ...sleeper(marker, 8)], o.env);
    await waitFor(() => existsSync(marker), 10_000, 'the live run');
    // A run of this machine that is gone without a record katalonc could find (another
    // KATALONC_HOME, say): a session that stopped heartbeating.
    const machineId = (await katalonc(['--print-machine-id'], o.env)).stdout.trim();
    const leftover = await activateIn(server.url, o.org, o.apiKey, { machineId });
    expect(leftover.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1800)); // 1.5 heartbeat intervals of silence
    const r = await katalonc(['run', ...o.args, '-licenseRelease', '--', 'true'], o.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Released 1 leftover session\(s\) of runs on this machine that had stopped/,
    );
    const gone = await heartbeatIn(server.url, leftover.body.session.id, o.apiKey);
    expect(gone.body.error.message).toContain('released by -licenseRelease: its run had stopped');
    // The live run held its seat throughout and ends as its command does.
    const l = await live.result;
    expect(l.code, l.stderr).toBe(0);
    expect(l.stderr).not.toMatch(/terminated/);
  });

  it('-licenseRelease=true without a command (activate, a CI clean-up step) frees the leftover sessions too', async () => {
    const o = await online(2);
    const machineId = (await katalonc(['--print-machine-id'], o.env)).stdout.trim();
    const leftover = await activateIn(server.url, o.org, o.apiKey, { machineId });
    expect(leftover.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1800)); // 1.5 heartbeat intervals of silence
    const r = await katalonc([...o.args, '-licenseRelease=true'], o.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Released 1 leftover session\(s\) of runs on this machine that had stopped/,
    );
    expect(r.stdout).toMatch(/^Activated KRE/);
    const gone = await heartbeatIn(server.url, leftover.body.session.id, o.apiKey);
    expect(gone.body.error.message).toContain('released by -licenseRelease: its run had stopped');
  });

  it('a SIGKILLed katalonc takes its command (with its children) along: no run goes on without a session', async () => {
    const o = await online(1);
    const pidFile = join(tempDir(), 'pid');
    const holder = startKatalonc(
      ['run', ...o.args, '--', 'sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`],
      o.env,
    );
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      10_000,
      'the command',
    );
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    holder.kill('SIGKILL');
    await waitFor(
      () => {
        try {
          process.kill(grandchild, 0);
          return false;
        } catch {
          return true;
        }
      },
      // The watcher acts once its own Node.js is up, which a loaded machine slows.
      10_000,
      "the killed run's command to end",
    );
    // Its session is released by the next start at once (the run is gone), not after the lease.
    const next = await katalonc(
      ['run', ...o.args, '-enableLicenseRetry=false', '--', 'true'],
      o.env,
    );
    expect(next.code, next.stderr).toBe(0);
  });

  it('SIGKILLed run: its session stops counting once the lease passes, and the next katalonc start releases it at once', async () => {
    const o = await online(1);
    const marker = join(tempDir(), 'm');
    const holder = startKatalonc(
      ['run', ...o.args, '--', 'sh', '-c', `touch ${marker}; exec sleep 5`],
      o.env,
    );
    await waitFor(() => existsSync(marker), 10_000, 'the command');
    holder.kill('SIGKILL');
    await holder.exited;
    expect((await poolOf(o.org)).onlineSessions).toHaveLength(1);
    // Another user's katalonc does not see this machine's session files: it waits for the lease.
    const other = await katalonc(
      ['run', ...o.args, '-enableLicenseRetry=false', '--', 'true'],
      userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
    );
    expect(other.code).toBe(6);
    // The same user's next start finds the dead run's token and releases it at once.
    const next = await katalonc(['run', ...o.args, '--', 'true'], o.env);
    expect(next.code, next.stderr).toBe(0);
    expect(readdirSync(join(o.env.HOME, '.katalon', 'katalonc', 'sessions'))).toEqual([]);
    expect(readdirSync(join(o.env.HOME, '.katalon', 'katalonc', 'locks'))).toEqual([]);

    const lone = await online(1);
    const h2 = startKatalonc(
      ['run', ...lone.args, '--', 'sh', '-c', `touch ${marker}2; exec sleep 6`],
      lone.env,
    );
    await waitFor(() => existsSync(`${marker}2`), 10_000, 'the command');
    h2.kill('SIGKILL');
    await h2.exited;
    await waitFor(
      async () => (await poolOf(lone.org)).onlineSessions.length === 0,
      6_000,
      'the lease to pass',
    );
  });

  it('SIGINT: the command gets it, the session is released at once', async () => {
    const o = await online(1);
    const marker = join(tempDir(), 'm');
    const run = startKatalonc(['run', ...o.args, '--', ...sleeper(marker, 30)], o.env);
    await waitFor(() => existsSync(marker), 10_000, 'the command');
    run.kill('SIGINT');
    const r = await run.result;
    expect(r.code).toBe(130);
    expect(readFileSync(`${marker}.sig`, 'utf8').trim()).toBe('got-int');
    expect((await poolOf(o.org)).onlineSessions).toHaveLength(0);
  });

  it('an admin terminates the session: the command is stopped and katalonc exits 9 with the reason', async () => {
    const o = await online(1);
    const marker = join(tempDir(), 'm');
    const run = startKatalonc(['run', ...o.args, '--', ...sleeper(marker, 60)], o.env);
    await waitFor(() => existsSync(marker), 10_000, 'the command');
    const [session] = (await poolOf(o.org)).onlineSessions;
    await adminApi(server.url, 'DELETE', `/sessions/${session.id}`);
    const r = await run.result;
    expect(r.code).toBe(9);
    // Katalon's line, and the server's reason once (its "the session was ended:" is the line's own).
    expect(r.stderr).toMatch(/error: This session has been terminated: terminated by an admin\n/);
    expect(readFileSync(`${marker}.sig`, 'utf8').trim()).toBe('got-term');
  });

  /** A run on a server of its own that is stopped (`stop`), then started again on its port and data dir. */
  const restartedDuringRun = async (stop: (own: TestServer) => Promise<unknown>) => {
    const port = await freePort();
    const own = await startServer({ port, args: ['--lease-seconds', '6'] });
    const o = await online(1, own.url);
    const marker = join(tempDir(), 'm');
    const run = startKatalonc(['run', ...o.args, '--', ...sleeper(marker, 8)], o.env);
    await waitFor(() => existsSync(marker), 10_000, 'the command');
    await stop(own);
    const again = await startServer({ port, dataDir: own.dataDir, args: ['--lease-seconds', '6'] });
    const r = await run.result;
    await again.stop();
    return r;
  };

  it('the server restarted during a run: the run continues', async () => {
    const r = await restartedDuringRun(async (own) => {
      await own.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 2500));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/heartbeat failed .* retrying/);
  });

  it('the server restarted without its lease secret (a database restored from before it was made): the run resumes once under the new lease key and goes on', async () => {
    const r = await restartedDuringRun(async (own) => {
      await own.stop();
      await sqlOn({ dataDir: own.dataDir }, 'DELETE FROM server_secrets');
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Resumed online session .* under a new lease key: .*not under the session's lease key/,
    );
  });

  describe('an outage longer than the lease', () => {
    // katalonc reaches the server through a proxy; stopping the proxy is the outage.
    const throughProxy = (port: number) => [
      '--config',
      '-proxy.auth.option=MANUAL_CONFIG',
      '-proxy.auth.server.type=HTTP',
      '-proxy.auth.server.address=127.0.0.1',
      `-proxy.auth.server.port=${port}`,
    ];

    it('the run resumes its session when the server is back, if the seat is still free', async () => {
      const own = await startServer({ args: ['--lease-seconds', '3'] });
      const o = await online(1, own.url);
      let proxy = await startProxy();
      const marker = join(tempDir(), 'm');
      const run = startKatalonc(
        ['run', ...o.args, ...throughProxy(proxy.port), '--', ...sleeper(marker, 12)],
        o.env,
      );
      await waitFor(() => existsSync(marker), 10_000, 'the command');
      const port = proxy.port;
      proxy.stop();
      await new Promise((r) => setTimeout(r, 5000)); // the 3 s lease runs out
      expect((await poolOf(o.org, own.url)).onlineSessions).toHaveLength(0);
      proxy = await startProxy(undefined, port);
      const r = await run.result;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /the lease has run out: the session is resumed when the server is back/,
      );
      expect(r.stderr).toMatch(/Resumed online session/);
      proxy.stop();
      await own.stop();
    });

    it('it ends, with the reason, if the seat was taken meanwhile', async () => {
      const own = await startServer({ args: ['--lease-seconds', '3'] });
      const o = await online(1, own.url);
      let proxy = await startProxy();
      const marker = join(tempDir(), 'm');
      const run = startKatalonc(
        ['run', ...o.args, ...throughProxy(proxy.port), '--', ...sleeper(marker, 30)],
        o.env,
      );
      await waitFor(() => existsSync(marker), 10_000, 'the command');
      const port = proxy.port;
      proxy.stop();
      await new Promise((r) => setTimeout(r, 5000));
      // Another run takes the seat the lapsed session left.
      const other = startKatalonc(
        ['run', ...o.args, '--', 'sleep', '20'],
        userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
      );
      await waitFor(
        async () => (await poolOf(o.org, own.url)).onlineSessions.length === 1,
        10_000,
        'the other run',
      );
      proxy = await startProxy(undefined, port);
      const r = await run.result;
      expect(r.code).toBe(9);
      expect(r.stderr).toMatch(
        /This session has been terminated: the seat was taken while the server could not be reached/,
      );
      other.kill('SIGTERM');
      await other.result;
      proxy.stop();
      await own.stop();
    });
  });

  describe("the pool's outage grace", () => {
    it('past it, a run cut off from the server ends, and the server refuses to resume its session', async () => {
      const own = await startServer({ args: ['--lease-seconds', '3'] });
      const o = await online(1, own.url);
      const changed = await adminApi(own.url, 'PATCH', `/orgs/${o.org}/pools/KRE`, {
        outageGraceMinutes: 0,
      });
      expect(changed.body).toEqual({ product: 'KRE', model: 'floating', outageGraceMinutes: 0 });
      expect((await poolOf(o.org, own.url)).outageGraceMinutes).toBe(0);

      // katalonc: cut off (its proxy stopped), it ends once the lease has run out.
      const proxy = await startProxy();
      const marker = join(tempDir(), 'm');
      const run = startKatalonc(
        [
          'run',
          ...o.args,
          '--config',
          '-proxy.auth.option=MANUAL_CONFIG',
          '-proxy.auth.server.type=HTTP',
          '-proxy.auth.server.address=127.0.0.1',
          `-proxy.auth.server.port=${proxy.port}`,
          '--',
          ...sleeper(marker, 60),
        ],
        o.env,
      );
      await waitFor(() => existsSync(marker), 10_000, 'the command');
      proxy.stop();
      const r = await run.result;
      expect(r.code, r.stderr).toBe(9);
      expect(r.stderr).toMatch(
        /This session has been terminated: the run could not reach the license server for longer than its pool's outage grace \(0 minutes past the lease\)/,
      );

      // The server: a session whose lease passed more than the grace ago is not resumed.
      const a = await activateIn(own.url, o.org, o.apiKey);
      expect(a.status).toBe(201);
      await new Promise((done) => setTimeout(done, 3500));
      const resumed = await api(
        own.url,
        'POST',
        `/v1/sessions/${a.body.session.id}/resume`,
        undefined,
        o.apiKey,
      );
      expect(resumed.status).toBe(410);
      expect(resumed.body.error.code).toBe('SESSION_EXPIRED');
      expect(resumed.body.error.message).toMatch(/outage grace \(0 minutes/);
      await own.stop();
    });

    /** A run on a server of its own with a 3 s lease and no outage grace, its command started. */
    const runWithoutGrace = async () => {
      const own = await startServer({ args: ['--lease-seconds', '3'] });
      const o = await online(1, own.url);
      await adminApi(own.url, 'PATCH', `/orgs/${o.org}/pools/KRE`, { outageGraceMinutes: 0 });
      const pidFile = join(tempDir(), 'pid');
      const run = startKatalonc(
        ['run', ...o.args, '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`],
        o.env,
      );
      return { own, run, command: await waitForPid(pidFile, 'the command') };
    };

    it('a stopped katalonc (SIGSTOP) does not keep its command running past the lease and the grace', async () => {
      const { own, run, command } = await runWithoutGrace();
      run.kill('SIGSTOP');
      // The lease (3 s) passes, the seat is free for others: the command must be gone by then.
      await waitFor(() => !alive(command), 10_000, 'the stopped run to be ended');
      run.kill('SIGCONT');
      run.kill('SIGTERM');
      await run.result;
      await own.stop();
    });

    it("stopping the run's watcher (SIGSTOP), then katalonc at leisure, does not keep the command running: katalonc ends the run when its watcher stops answering", async () => {
      const { own, run, command } = await runWithoutGrace();
      const watcher = watcherOf(run.pid!);
      process.kill(watcher, 'SIGSTOP');
      await new Promise((done) => setTimeout(done, 4000));
      run.kill('SIGSTOP');
      // Neither can end the command now but katalonc's own check, before it was stopped.
      await waitFor(() => !alive(command), 10_000, 'the run to be ended');
      run.kill('SIGCONT');
      process.kill(watcher, 'SIGCONT');
      const r = await run.result;
      expect(r.stderr).toContain("the run's watcher stopped answering: stopping the command");
      expect(r.code).toBe(137);
      await own.stop();
    });

    it("killing the run's watcher ends the run: nothing is left unwatched", async () => {
      const o = await online(1);
      const pidFile = join(tempDir(), 'pid');
      const run = startKatalonc(
        ['run', ...o.args, '--', 'sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`],
        o.env,
      );
      const command = await waitForPid(pidFile, 'the command');
      process.kill(watcherOf(run.pid!), 'SIGKILL');
      const r = await run.result;
      expect(r.stderr).toContain("the run's watcher was killed: stopping the command");
      expect(r.code).toBe(137);
      expect(alive(command)).toBe(false);
    });

    it('is 5 minutes unless chosen, and the admin CLI sets it within 0–120 minutes', async () => {
      const o = await online(1);
      expect((await poolOf(o.org)).outageGraceMinutes).toBe(5);
      const setGrace = (minutes: string) =>
        adminCli(server.dataDir, [
          ...['pool', 'set', '--org', String(o.org), '--product', 'KRE'],
          ...['--outage-grace', minutes, '--json'],
        ]);
      const set = await setGrace('30');
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout)).toEqual({
        product: 'KRE',
        model: 'floating',
        outageGraceMinutes: 30,
      });
      expect((await poolOf(o.org)).outageGraceMinutes).toBe(30);
      const tooLong = await setGrace('121');
      expect(tooLong.code).toBe(4);
      expect(JSON.parse(tooLong.stdout).error.message).toMatch(
        /--outage-grace must be from 0 to 120/,
      );
      expect(
        (
          await adminApi(server.url, 'PATCH', `/orgs/${o.org}/pools/KRE`, {
            outageGraceMinutes: -1,
          })
        ).status,
      ).toBe(400);
    });
  });

  it('server down at start: exit 7 with one clear line', async () => {
    const port = await freePort();
    const r = await katalonc(
      ['run', '-apiKey=kls_x', '-orgID=1', `-serverUrl=http://127.0.0.1:${port}`, '--', 'true'],
      userEnv(),
    );
    expect(r.code).toBe(7);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: connection refused by http:\/\/127\.0\.0\.1:\d+: is the license server running/,
    );
  });

  it('a wrong key, a wrong org: their own exit code and message, the key never shown', async () => {
    const o = await online();
    const wrong = await katalonc(
      ['activate', '-apiKey=kls_definitely_wrong', ...o.args],
      userEnv(),
    );
    expect(wrong.code).toBe(8);
    expect(wrong.stderr).toMatch(/API key is invalid/);
    expect(wrong.stderr).not.toContain('kls_definitely_wrong');
    const notMember = await katalonc(
      ['activate', `-orgID=999999`, `-serverUrl=${server.url}`],
      o.env,
    );
    expect(notMember.code).toBe(8);
    expect(notMember.stderr).toMatch(/not a member of organisation 999999/);
  });

  it('refuses plain http to a host that is not loopback unless --insecure', async () => {
    const r = await katalonc(
      ['activate', '-apiKey=k', '-orgID=1', '-serverUrl=http://license.example.com'],
      userEnv(),
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/refusing plain http/);
  });
});

const hasOpenssl = installed('openssl');

describe.skipIf(!hasOpenssl && !requireAll)(
  `TLS${hasOpenssl ? '' : ` (skipped: ${missing('openssl to make test certificates', 'openssl')})`}`,
  () => {
    let tls: TestServer;
    let certs: ReturnType<typeof makeCertificates>;
    beforeAll(async () => {
      certs = makeCertificates();
      // The test itself seeds the TLS server over HTTPS, so it trusts the test CA too.
      setGlobalDispatcher(
        new Agent({ connect: { ca: [...rootCertificates, readPem(certs.ca, 'utf8')] } }),
      );
      tls = await startServer({ args: ['--tls-cert', certs.cert, '--tls-key', certs.key] });
    }, 60_000);
    afterAll(async () => {
      await tls?.stop();
    });

    it('https:// to a plain-HTTP port and http:// to a TLS port each say so, not "add a CA"', async () => {
      const o = await online(2);
      const plainPort = new URL(server.url).port;
      const toPlain = await katalonc(
        ['activate', `-orgID=${o.org}`, `-serverUrl=https://127.0.0.1:${plainPort}`],
        o.env,
      );
      expect(toPlain.code).toBe(7);
      expect(toPlain.stderr).toMatch(/speaks plain HTTP, not TLS: use -serverUrl=http:/);
      expect(toPlain.stderr).not.toMatch(/-caFile/);
      const toTls = await katalonc(
        ['activate', `-orgID=${o.org}`, `-serverUrl=${tls.url.replace('https:', 'http:')}`],
        o.env,
      );
      expect(toTls.code).toBe(7);
      expect(toTls.stderr).toMatch(/speaks TLS, not plain HTTP: use -serverUrl=https:/);
    });

    it('a -caFile that is not PEM is an error naming the file', async () => {
      const o = await online(2);
      const der = join(tempDir(), 'ca.der');
      writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
      const r = await katalonc(['activate', ...o.args, `-caFile=${der}`], o.env);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(`the CA file ${der} holds no PEM certificate`);
    });

    it('verifies TLS: an unknown CA is a TLS error (exit 7), -caFile and NODE_EXTRA_CA_CERTS fix it', async () => {
      expect(tls.url).toMatch(/^https:/);
      const o = await online(2, tls.url.replace('127.0.0.1', 'localhost'));
      const untrusted = await katalonc(['activate', ...o.args], o.env);
      expect(untrusted.code).toBe(7);
      expect(untrusted.stderr).toMatch(/certificate .* is not trusted.*-caFile/);
      expect((await katalonc(['activate', ...o.args, `-caFile=${certs.ca}`], o.env)).code).toBe(0);
      expect(
        (await katalonc(['activate', ...o.args], { ...o.env, NODE_EXTRA_CA_CERTS: certs.ca })).code,
      ).toBe(0);
    });

    it('through a real proxy by HTTPS_PROXY (a CONNECT tunnel to the TLS server)', async () => {
      const proxy = await startProxy();
      try {
        const o = await online(2, tls.url.replace('127.0.0.1', 'localhost'));
        const r = await katalonc(['activate', ...o.args, `-caFile=${certs.ca}`], {
          ...o.env,
          HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(proxy.log()).toMatch(/CONNECT localhost:\d+/);
      } finally {
        proxy.stop();
      }
    });
  },
);

describe('errors that blame the right thing', () => {
  it('a proxy that refuses the connection is reported as the proxy, with its address', async () => {
    const o = await online(2);
    const port = await freePort();
    const viaEnv = await katalonc(['activate', ...o.args], {
      ...o.env,
      HTTP_PROXY: `http://127.0.0.1:${port}`,
    });
    expect(viaEnv.code).toBe(7);
    expect(viaEnv.stderr).toMatch(
      new RegExp(`the proxy at 127\\.0\\.0\\.1:${port} refused the connection`),
    );
    expect(viaEnv.stderr).not.toMatch(/is the license server running/);
  });

  it('a -serverUrl that answers but not as HTTP (an SMTP port) says so and to check -serverUrl, exit 7', async () => {
    const o = await online(2);
    const smtp = await startSmtp();
    try {
      const port = new URL(smtp.url).port;
      const r = await katalonc(
        ['activate', `-orgID=${o.org}`, `-serverUrl=http://127.0.0.1:${port}`],
        o.env,
      );
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(
        new RegExp(
          `http://127\\.0\\.0\\.1:${port} answered, but not as an HTTP server \\(HPE_\\w+\\): check -serverUrl`,
        ),
      );
      expect(r.stderr).not.toMatch(/Parse Error/);
    } finally {
      await smtp.close();
    }
  });

  it('a -serverUrl whose path has no license API says to check -serverUrl, exit 7', async () => {
    const o = await online(2);
    const r = await katalonc(
      ['activate', `-orgID=${o.org}`, `-serverUrl=${server.url}/some/portal`],
      o.env,
    );
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/has no license server API \(404 for .*\): check -serverUrl/);
  });
});

describe('proxies', () => {
  it('through a real proxy by -proxy.auth.* MANUAL_CONFIG with a user and password; wrong password is a proxy error', async () => {
    const proxy = await startProxy({ user: 'ci', password: 's3cret' });
    try {
      const o = await online(2);
      const manual = (password: string) => [
        '--config',
        '-proxy.auth.option=MANUAL_CONFIG',
        '-proxy.auth.server.type=HTTP',
        '-proxy.auth.server.address=127.0.0.1',
        `-proxy.auth.server.port=${proxy.port}`,
        '-proxy.auth.username=ci',
        `-proxy.auth.password=${password}`,
      ];
      const r = await katalonc(['activate', ...o.args, ...manual('s3cret')], o.env);
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.log()).toMatch(/127\.0\.0\.1:\d+\/v1\/sessions/);
      const bad = await katalonc(['activate', ...o.args, ...manual('wrong')], o.env);
      expect(bad.stderr).toMatch(/proxy/i);
      expect(bad.code).toBe(7);
      // Excluded hosts go direct: the proxy sees nothing new.
      const before = proxy.log().length;
      expect(
        (
          await katalonc(
            ['activate', ...o.args, ...manual('wrong'), '-proxy.auth.excludes=127.0.0.1'],
            o.env,
          )
        ).code,
      ).toBe(0);
      expect(proxy.log().slice(before)).not.toMatch(/v1\/sessions/);
    } finally {
      proxy.stop();
    }
  });
});

describe('a proxy of the wrong type', () => {
  it('-proxy.auth.server.type=SOCKS or HTTPS at an HTTP proxy: one line naming the proxy and its type, exit 7', async () => {
    const proxy = await startProxy();
    try {
      const o = await online(2);
      const as = (type: string) =>
        katalonc(
          [
            'activate',
            ...o.args,
            '--config',
            '-proxy.auth.option=MANUAL_CONFIG',
            `-proxy.auth.server.type=${type}`,
            '-proxy.auth.server.address=127.0.0.1',
            `-proxy.auth.server.port=${proxy.port}`,
          ],
          o.env,
        );
      const at = `the proxy at 127\\.0\\.0\\.1:${proxy.port}`;
      const socks = await as('SOCKS');
      expect(socks.code).toBe(7);
      expect(socks.stderr).toMatch(
        new RegExp(
          `^Start activating online\\.\\.\\.\\nerror: ${at} does not answer as a SOCKS5 proxy \\(.*\\): check -proxy\\.auth\\.server\\.type \\(HTTP, HTTPS or SOCKS\\) and -proxy\\.auth\\.server\\.port\\n$`,
        ),
      );
      const https = await as('HTTPS');
      expect(https.code).toBe(7);
      // Not the server's URL (it is http:// already), nor Node's warning about the proxy's IP as SNI.
      expect(https.stderr).toMatch(
        new RegExp(
          `^Start activating online\\.\\.\\.\\nerror: ${at} speaks plain HTTP, not TLS: use -proxy\\.auth\\.server\\.type=HTTP .*\\n$`,
        ),
      );
    } finally {
      proxy.stop();
    }
  });
});

describe('saved credentials', () => {
  const hasSecretService =
    spawnSync('sh', [
      '-c',
      'command -v gnome-keyring-daemon && command -v dbus-run-session && command -v secret-tool',
    ]).status === 0;

  it('without a keychain: --save falls back to a 0600 file, says so, and later runs need no key', async () => {
    const o = await online(2);
    const env = { ...userEnv(o.env.HOME), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
    const saved = await katalonc(['activate', '--save', ...o.args, `-apiKey=${o.apiKey}`], env);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toMatch(/warning: no usable OS keychain .* readable only by you/);
    const file = join(o.env.HOME, '.katalon', 'katalonc', 'api-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const later = await katalonc(['run', '--', 'true'], env);
    expect(later.code, later.stderr).toBe(0);
    const status = JSON.parse((await katalonc(['status', '--json'], env)).stdout);
    expect(status.saved).toMatchObject({
      serverUrl: server.url,
      orgId: String(o.org),
      apiKeySaved: true,
    });
    expect(status.server.reachable).toBe(true);
    expect(JSON.stringify(status)).not.toContain(o.apiKey);
    expect((await katalonc(['deactivate'], env)).code).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('a keychain that never answers does not hang katalonc: it times out and falls back to the file', async () => {
    const o = await online(2);
    const socket = join(tempDir(), 'bus');
    const silent = createServer(() => {}); // accepts D-Bus connections and never says a word
    await new Promise<void>((r) => silent.listen(socket, r));
    try {
      const env = {
        ...userEnv(o.env.HOME),
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`,
        KATALONC_KEYCHAIN_TIMEOUT_MS: '1000',
      };
      const started = Date.now();
      const r = await katalonc(['activate', '--save', ...o.args, `-apiKey=${o.apiKey}`], env);
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.stderr).toMatch(/no answer within 1000 ms/);
      expect(statSync(join(o.env.HOME, '.katalon', 'katalonc', 'api-key')).mode & 0o777).toBe(
        0o600,
      );
    } finally {
      silent.close();
    }
  });

  // CI installs gnome-keyring (see .ci/run), so there it must run, not skip.
  it.runIf(hasSecretService || requireAll)(
    `with a real Secret Service (gnome-keyring): the key lands in the keychain, not on disk${hasSecretService ? '' : ` (skipped: ${missing('a Secret Service', 'gnome-keyring libsecret-tools dbus dbus-x11')})`}`,
    async () => {
      const o = await online(2);
      const home = o.env.HOME;
      const script = `
      set -e
      eval "$(printf 'test' | gnome-keyring-daemon --unlock --components=secrets)"
      export HOME="${home}"
      "${process.execPath}" "${KATALONC}" activate --save ${o.args.join(' ')} -apiKey=${o.apiKey} >/dev/null
      echo "lookup=$(secret-tool lookup service katalonc username api-key)"
      KATALON_API_KEY= "${process.execPath}" "${KATALONC}" status --json | grep -q '"apiKeySaved": true' && echo status-ok
    `;
      const out = execFileSync('dbus-run-session', ['--', 'sh', '-c', script], {
        env: { ...userEnv(home), NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(out).toContain(`lookup=${o.apiKey}`);
      expect(out).toContain('status-ok');
      const grep = spawnSync('grep', ['-r', '-l', o.apiKey, home]);
      expect(grep.stdout.toString()).not.toMatch(/katalonc/); // only the keyring's own encrypted store may hold it
    },
  );
});
