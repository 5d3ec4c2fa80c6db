// A new katalonc beside older (and newer) peers: a license server older than katalonc (the
// 3d6556d release, built from git: no GET /v1/orgs, no signed session grants: no runs), and an
// older katalonc's live run on the same machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createSocketServer } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { katalonc, tempDir, userEnv } from '../helpers/cli.ts';
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
    old = await startOldServer(dataDir);
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
  });

  it('gives no run: it signs no grant for its sessions, so its session is released and the message says to upgrade it (exit 8)', async () => {
    const args = ['run', `-serverUrl=${old.url}`, `-orgID=${org}`, '--', 'echo', 'RAN'];
    const refused = await katalonc(args, env);
    expect(refused.code, refused.stderr).toBe(8);
    expect(refused.stdout).not.toContain('RAN');
    expect(refused.stderr).toMatch(/it sent no signed grant .*upgrade the server/);
    // Released, not left counted for its lease: the pool's two seats are free for two more tries.
    const again = [await katalonc(args, env), await katalonc(args, env)];
    for (const r of again) expect(r.stderr).toMatch(/no signed grant/);
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
