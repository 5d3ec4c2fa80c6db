// What a Katalon user's line needs beyond the grammar: the organisation inferred when -orgID is
// left out, the server URL from Katalon's own licenseServer.properties, the engine hand-off's
// environment, and the errors of pasted keys and missing servers. Real server, real katalonc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, katalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A command that writes its environment's licensing variables to `file`. */
const recorder = (file: string) => [
  process.execPath,
  '-e',
  `require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ key: process.env.KATALON_API_KEY ?? null, proxyPassword: process.env.KATALON_PROXY_PASSWORD ?? null, license: process.env.KATALONC_LICENSE ?? null, argv: process.argv.slice(1) }))`,
];

const addMembership = async (email: string, name: string, pool: boolean) => {
  const org = (await adminApi(server.url, 'POST', '/orgs', { name })).body.id as number;
  await adminApi(server.url, 'POST', `/orgs/${org}/users`, { email });
  if (pool)
    await adminApi(server.url, 'POST', `/orgs/${org}/pools`, {
      product: 'KRE',
      model: 'floating',
      billing: 'yearly',
      quota: 2,
      machineQuota: 10,
      expiresAt: new Date(Date.now() + 86_400_000 * 30).toISOString(),
    });
  return org;
};

describe('-orgID is optional', () => {
  it('one organisation with KRE licenses: katalonc uses it', async () => {
    const o = await seedOrg(server.url);
    await addMembership(o.email, 'Docs only', false); // an org without a KRE pool does not count
    const r = await katalonc(
      ['-serverUrl=' + server.url, 'run', '--', 'true'],
      userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Online session .* \(KRE floating, Acme QA/);
  });

  it('several: exit 4 listing id, name and products, and saying to pass -orgID', async () => {
    const o = await seedOrg(server.url);
    const second = await addMembership(o.email, 'Second Co', true);
    const r = await katalonc(
      ['-serverUrl=' + server.url, 'run', '--', 'true'],
      userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/belongs to 2 organisations with KRE licenses: pass -orgID=<id>/);
    expect(r.stderr).toContain(`${o.org}  ${o.name}  KRE`);
    expect(r.stderr).toMatch(new RegExp(`${second}  Second Co  KRE`));
    const chosen = await katalonc(
      [`-orgID=${second}`, '-serverUrl=' + server.url, 'run', '--', 'true'],
      userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
    );
    expect(chosen.code, chosen.stderr).toBe(0);
  });

  it('none: exit 8', async () => {
    const o = await seedOrg(server.url, { product: 'KSE' });
    const r = await katalonc(
      ['-serverUrl=' + server.url, 'run', '--', 'true'],
      userEnv(undefined, { KATALON_API_KEY: o.apiKey }),
    );
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/belongs to no organisation with KRE licenses/);
  });
});

describe('the server URL and the API key', () => {
  it("Katalon's ~/.katalon/licenseServer.properties gives serverURL and apiKey", async () => {
    const o = await seedOrg(server.url);
    const home = tempDir('katalonc-home-');
    mkdirSync(join(home, '.katalon'), { recursive: true });
    writeFileSync(
      join(home, '.katalon', 'licenseServer.properties'),
      `# written by Katalon Studio\nserverURL=${server.url}\napiKey=${o.apiKey}\n`,
    );
    const r = await katalonc(['run', '--', 'true'], userEnv(home));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Start activating online/);
  });

  it('-testOps.serverUrl is the last resort', async () => {
    const o = await seedOrg(server.url);
    const r = await katalonc(
      [`-testOps.serverUrl=${server.url}`, `-apiKey=${o.apiKey}`, 'run', '--', 'true'],
      userEnv(),
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it('no server anywhere: exit 4, one line saying where a URL can be given', async () => {
    const r = await katalonc(['-apiKey=kls_x', 'run', '--', 'true'], userEnv());
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /no license server: pass -serverUrl=.*KATALON_SERVER_URL.*licenseServer\.properties/,
    );
  });

  it('a key pasted with typographic quotes or a space: exit 8 saying so, not a network error', async () => {
    for (const key of ['\u201Ckls_abc\u201D', 'kls_ab c']) {
      const r = await katalonc(
        [`-apiKey=${key}`, `-serverUrl=${server.url}`, 'run', '--', 'true'],
        userEnv(),
      );
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/the API key contains quotes or spaces/);
    }
  });
});

describe('what the command and the engine get', () => {
  it('a plain run -- CMD never sees the API key or the proxy password; it gets KATALONC_LICENSE', async () => {
    const o = await seedOrg(server.url);
    const file = join(tempDir(), 'env.json');
    const r = await katalonc(
      [`-orgID=${o.org}`, `-serverUrl=${server.url}`, 'run', '--', ...recorder(file)],
      userEnv(undefined, { KATALON_API_KEY: o.apiKey, KATALON_PROXY_PASSWORD: 'pw' }),
    );
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(file, 'utf8'));
    expect(seen.key).toBeNull();
    expect(seen.proxyPassword).toBeNull();
    expect(JSON.parse(seen.license)).toMatchObject({
      kind: 'online',
      product: 'KRE',
      model: 'floating',
      orgId: String(o.org),
      sessionId: expect.any(String),
      expiresAt: expect.any(String),
      serverUrl: server.url,
    });
  });

  it('the engine saved with "katalonc engine PATH" gets the runner options and KATALON_API_KEY', async () => {
    const o = await seedOrg(server.url);
    const dir = tempDir();
    const file = join(dir, 'env.json');
    const engine = join(dir, 'engine.sh');
    const [node, , script] = recorder(file);
    writeFileSync(
      engine,
      `#!/bin/sh\nexec "${node}" -e '${script.replaceAll("'", "'\\''")}' -- "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const env = userEnv(undefined, { KATALON_API_KEY: o.apiKey });
    expect((await katalonc(['engine', engine], env)).code).toBe(0);
    const r = await katalonc(
      ['-noSplash', '-runMode=console', `-orgID=${o.org}`, `-serverUrl=${server.url}`, '-retry=0'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(file, 'utf8'));
    expect(seen.argv).toEqual(['-noSplash', '-runMode=console', '-retry=0']);
    expect(seen.key).toBe(o.apiKey);
  });

  it("the engine's exit code is katalonc's", async () => {
    const o = await seedOrg(server.url);
    const r = await katalonc(
      [`-apiKey=${o.apiKey}`, `-serverUrl=${server.url}`, '-retry=0', '--', 'sh', '-c', 'exit 3'],
      userEnv(),
    );
    expect(r.code).toBe(3);
  });
});

describe('katalonc status as a CI pre-flight', () => {
  it('exit 7 when the server cannot be reached; --check: 0 with a license to have, 6 without, 8 for a refused key', async () => {
    const { freePort } = await import('../helpers/network.ts');
    const down = await katalonc(
      [`-serverUrl=http://127.0.0.1:${await freePort()}`, 'status'],
      userEnv(),
    );
    expect(down.code).toBe(7);
    const o = await seedOrg(server.url, { quota: 1 });
    const env = userEnv(undefined, { KATALON_API_KEY: o.apiKey });
    const args = [`-orgID=${o.org}`, `-serverUrl=${server.url}`, 'status', '--check'];
    const ok = await katalonc(args, env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/a license can be had .*released/);
    const holder = await adminApi(server.url, 'GET', `/orgs/${o.org}/pools/KRE`);
    expect(holder.body.onlineSessions).toEqual([]); // the check released what it took
    const { api, randomMachineId } = await import('../helpers/server.ts');
    await api(
      server.url,
      'POST',
      '/v1/sessions',
      { orgId: o.org, product: 'KRE', machineId: randomMachineId() },
      o.apiKey,
    );
    expect((await katalonc(args, env)).code).toBe(6);
    expect((await katalonc(args, userEnv(undefined, { KATALON_API_KEY: 'kls_wrong' }))).code).toBe(
      8,
    );
  });

  it('the container warning is said once, then silenced by -q or KATALONC_CONTAINER_OK=1', async () => {
    const report = JSON.parse((await katalonc(['--print-machine-id', '--json'], userEnv())).stdout);
    const inContainer = report.warnings.some((w: string) => w.startsWith('running in a container'));
    if (!inContainer) return; // nothing to silence on this machine
    expect((await katalonc(['--print-machine-id'], userEnv())).stderr).toMatch(
      /running in a container/,
    );
    expect((await katalonc(['--print-machine-id', '-q'], userEnv())).stderr).not.toMatch(
      /running in a container/,
    );
    expect(
      (await katalonc(['--print-machine-id'], userEnv(undefined, { KATALONC_CONTAINER_OK: '1' })))
        .stderr,
    ).not.toMatch(/running in a container/);
  });
});

describe('help and completion', () => {
  it('a command\'s help lists the options that apply to it; "katalonc help <command>" works', async () => {
    for (const args of [
      ['run', '--help'],
      ['help', 'run'],
    ]) {
      const r = await katalonc(args, userEnv());
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: katalonc run/);
      expect(r.stdout).toMatch(/--license-dir/);
      expect(r.stdout).toMatch(/--api-key/);
    }
  });

  it("completion scripts for bash, zsh and fish, with commands, our options and Katalon's", async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await katalonc(['completion', shell], userEnv());
      expect(r.code).toBe(0);
      for (const word of ['license', '--license-dir', '-apiKey=', '-noSplash'])
        expect(r.stdout).toContain(word);
    }
    const { spawnSync } = await import('node:child_process');
    const script = (await katalonc(['completion', 'bash'], userEnv())).stdout;
    const bash = spawnSync('bash', ['-c', `${script}\ncomplete -p katalonc`], {
      encoding: 'utf8',
      env: cleanEnv(),
    });
    expect(bash.stdout).toMatch(/^complete .* katalonc$/m);
    expect((await katalonc(['completion', 'tcsh'], userEnv())).code).toBe(4);
  });
});
