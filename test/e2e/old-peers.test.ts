// A new katalonc beside older (and newer) peers: a license server older than katalonc (the
// 3d6556d release, built from git: no GET /v1/orgs, no resume), and an older katalonc's live run
// on the same machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createSocketServer } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { katalonc, startKatalonc, tempDir, userEnv, waitFor } from '../helpers/cli.ts';
import {
  activateIn,
  heartbeatIn,
  poolCreateArgs,
  seedOrg,
  startServer,
} from '../helpers/server.ts';
import { OLD_RELEASE, oldAdmin, startOldServer } from '../helpers/old-release.ts';

describe(`against the license server of the ${OLD_RELEASE} release`, () => {
  let old: Awaited<ReturnType<typeof startOldServer>>;
  let org: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    const dataDir = tempDir('kls-old-release-');
    const made = async (args: string[]) => JSON.parse((await oldAdmin(dataDir, args)).stdout);
    org = String((await made(['org', 'create', '--name', 'Acme QA'])).id);
    await made(['user', 'add', '--org', org, '--email', 'dev@acme.test']);
    const { apiKey } = await made(['apikey', 'create', '--org', org, '--email', 'dev@acme.test']);
    const expires = '2099-01-01';
    await made(poolCreateArgs(org, { model: 'floating', quota: '2', expires }));
    old = await startOldServer(dataDir, ['--lease-seconds', '2', '--heartbeat-seconds', '1']);
    env = userEnv(undefined, { KATALON_API_KEY: apiKey });
  });
  afterAll(() => {
    old?.process.kill('SIGTERM');
  });

  it('without -orgID: says the server is older and to pass -orgID (exit 4), not to check -serverUrl', async () => {
    const r = await katalonc(['run', `-serverUrl=${old.url}`, '--', 'true'], env);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/older than this katalonc.*pass -orgID=/);
    expect(r.stderr).not.toMatch(/check -serverUrl/);
    // A URL with no license server behind it still says to check -serverUrl.
    const wrong = await katalonc(['run', `-serverUrl=${old.url}/portal`, '--', 'true'], env);
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toMatch(
      /has no license server API \(404 for GET \/v1\/orgs\): check -serverUrl/,
    );
    // With -orgID it runs.
    const ok = await katalonc(['run', `-serverUrl=${old.url}`, `-orgID=${org}`, '--', 'true'], env);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('-licenseModel: an older server drops the field; katalonc sees the other pool in its answer, releases it and says so (exit 4)', async () => {
    const args = ['run', `-serverUrl=${old.url}`, `-orgID=${org}`, '--', 'true'];
    const r = await katalonc(['-licenseModel=node-locked', ...args], env);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /older than this katalonc: it cannot keep to -licenseModel=node-locked \(it gave a KRE floating license, released again\): leave out -licenseModel/,
    );
    // The model the server gives anyway: it runs.
    const same = await katalonc(['-licenseModel=floating', ...args], env);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toMatch(
      /Online session \S+ \(KRE floating, Acme QA: 1 of 2 licenses left\)/,
    );
  });

  it('a lease it cannot resume (the server has no resume) ends the run with a message, exit 9, not a silent loop', async () => {
    const marker = join(tempDir(), 'started');
    const run = startKatalonc(
      [
        'run',
        `-serverUrl=${old.url}`,
        `-orgID=${org}`,
        '--',
        'sh',
        '-c',
        `touch ${marker}; exec sleep 20`,
      ],
      env,
    );
    await waitFor(() => existsSync(marker), 10_000, 'the command');
    // katalonc suspended past its 2 s lease (a laptop asleep): its next heartbeat finds it gone.
    run.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3500));
    run.kill('SIGCONT');
    const started = Date.now();
    const r = await run.result;
    expect(r.code, r.stderr).toBe(9);
    expect(r.stderr).toMatch(
      /This session has been terminated: .*older than this katalonc: it cannot resume a session/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

it('leaves session records it cannot judge alone: an older katalonc live run keeps its session', async () => {
  const server = await startServer();
  try {
    const seed = await seedOrg(server.url);
    const env = userEnv(undefined, { KATALON_API_KEY: seed.apiKey });
    // An older katalonc (3d6556d) run on this machine: its session, its record (no lock name), and
    // the lock it held while it lived (an abstract socket named after the session).
    const live = (await activateIn(server.url, seed.org, seed.apiKey)).body.session.id as string;
    const lock = createSocketServer();
    await new Promise<void>((r) =>
      lock.listen(`\0katalonc-${process.getuid!()}-session-${live}`, r),
    );
    const dir = join(env.HOME, '.katalon', 'katalonc', 'sessions');
    mkdirSync(dir, { recursive: true });
    const files = {
      [`${live}.json`]: JSON.stringify({
        id: live,
        serverUrl: server.url,
        orgId: seed.org,
        pid: process.pid,
      }),
      // A newer katalonc's record, and one that is no record at all.
      'f00d.json': JSON.stringify({
        id: 'f00d',
        serverUrl: server.url,
        orgId: seed.org,
        pid: 1,
        lock: 'session-f00d',
        lockKind: 'future',
      }),
      'mangled.json': '{"id": ',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      const r = await katalonc(
        ['run', `-orgID=${seed.org}`, `-serverUrl=${server.url}`, '--', 'true'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
      for (const [name, text] of Object.entries(files))
        expect(readFileSync(join(dir, name), 'utf8')).toBe(text);
      expect((await heartbeatIn(server.url, live, seed.apiKey)).status).toBe(200);
    } finally {
      lock.close();
    }
  } finally {
    await server.stop();
  }
});
