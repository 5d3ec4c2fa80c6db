// katalonc -licenseModel (--license-model, KATALONC_LICENSE_MODEL): a CI run in a container takes a
// floating seat only, so that its short-lived machine ID is never registered in the node-locked
// pool; without it, the server's order (node-locked first, then floating) as before.
import { describe, expect, it } from 'vitest';
import { stores } from '../../scripts/harness/postgres.ts';
import { katalonc, userEnv } from '../helpers/cli.ts';
import { joinAs } from '../helpers/console.ts';
import {
  adminApi,
  adminCli,
  api,
  poolCreateArgs,
  seedOrg,
  serverOnStore,
} from '../helpers/server.ts';

describe.each(stores)('-licenseModel on $name', (store) => {
  const on = serverOnStore(store);
  /** An organisation with a node-locked KRE pool (quota 1, one machine) and, if asked, a floating one. */
  const organisation = async (floating: boolean) => {
    const seed = await seedOrg(on.server.url, { model: 'node-locked', quota: 1, machineQuota: 1 });
    if (floating) {
      const made = await adminCli(
        on.server.dataDir,
        poolCreateArgs(String(seed.org), { model: 'floating', billing: 'monthly', quota: '2' }),
        on.dbEnv,
      );
      expect(made.code, made.stderr).toBe(0);
    }
    return {
      ...seed,
      env: userEnv(undefined, { KATALON_API_KEY: seed.apiKey }),
      args: [`-orgID=${seed.org}`, `-serverUrl=${on.server.url}`, '-enableLicenseRetry=false'],
    };
  };
  const machinesOf = async (org: number, pool: string) =>
    (await adminApi(on.server.url, 'GET', `/orgs/${org}/pools/${pool}`)).body.registeredMachines;

  it('floating: runs on the floating pool though the node-locked one has room, and registers no machine there', async () => {
    const o = await organisation(true);
    const katalonStyle = await katalonc(
      ['run', ...o.args, '-licenseModel=floating', '--', 'true'],
      o.env,
    );
    expect(katalonStyle.code, katalonStyle.stderr).toBe(0);
    expect(katalonStyle.stderr).toMatch(/Online session \S+ \(KRE floating, /);
    // The GNU form, and the environment variable for CI lines that stay as they are.
    const gnu = await katalonc(
      ['run', ...o.args, '--license-model', 'floating', '--', 'true'],
      o.env,
    );
    expect(gnu.stderr).toMatch(/Online session \S+ \(KRE floating, /);
    const fromEnv = await katalonc(['run', ...o.args, '--', 'true'], {
      ...o.env,
      KATALONC_LICENSE_MODEL: 'floating',
    });
    expect(fromEnv.stderr).toMatch(/Online session \S+ \(KRE floating, /);
    // activate (a check that takes a license and releases it) keeps to it too.
    const activated = await katalonc(['activate', ...o.args, '-licenseModel=floating'], o.env);
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout).toMatch(/Activated KRE floating for /);
    // Not "machine quota 0": a floating pool has none.
    expect(activated.stdout).toMatch(
      /^ {2}quota 2, available 2, no machine quota \(floating\), expires /m,
    );
    expect(await machinesOf(o.org, 'KRE-node-locked')).toEqual([]);
    // Without it: node-locked first, as before.
    const plain = await katalonc(['run', ...o.args, '--', 'true'], o.env);
    expect(plain.stderr).toMatch(/Online session \S+ \(KRE node-locked, /);
    expect(await machinesOf(o.org, 'KRE-node-locked')).toHaveLength(1);
  });

  it('activate --save keeps -licenseModel for later runs; the option and the variable still choose; deactivate forgets it', async () => {
    const o = await organisation(true);
    const saved = await katalonc(
      ['activate', '--save', ...o.args, '-licenseModel=floating', '--json'],
      o.env,
    );
    expect(saved.code, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout).saved).toMatchObject({ licenseModel: 'floating' });
    const later = await katalonc(['run', '-enableLicenseRetry=false', '--', 'true'], o.env);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stderr).toMatch(/Online session \S+ \(KRE floating, /);
    const status = await katalonc(['status'], o.env);
    expect(status.stdout).toMatch(
      /Saved: server \S+, org \d+, license model floating, API key saved/,
    );
    const byOption = await katalonc(['run', '-licenseModel=node-locked', '--', 'true'], o.env);
    expect(byOption.stderr).toMatch(/Online session \S+ \(KRE node-locked, /);
    const byVariable = await katalonc(['run', '--', 'true'], {
      ...o.env,
      KATALONC_LICENSE_MODEL: 'node-locked',
    });
    expect(byVariable.stderr).toMatch(/Online session \S+ \(KRE node-locked, /);
    // A later --save keeps what that activation used.
    await katalonc(['activate', '--save', ...o.args, '-licenseModel=node-locked'], o.env);
    expect((await katalonc(['status'], o.env)).stdout).toMatch(/license model node-locked,/);
    await katalonc(['activate', '--save', ...o.args, '-licenseModel=floating'], o.env);
    expect((await katalonc(['deactivate'], o.env)).code).toBe(0);
    expect((await katalonc(['status'], o.env)).stdout).toMatch(/Saved: server -, org -, API key/);
  });

  it('node-locked: only the node-locked pool, so a full one is refused as full (exit 6), not floated', async () => {
    const o = await organisation(true);
    const machineId = (await katalonc(['--print-machine-id'], o.env)).stdout.trim();
    // This machine's node-locked seat is held (by another run of it).
    const held = await api(
      on.server.url,
      'POST',
      '/v1/sessions',
      { orgId: o.org, product: 'KRE', machineId, model: 'node-locked' },
      o.apiKey,
    );
    expect(held.body.pool).toMatchObject({ model: 'node-locked', available: 0 });
    const r = await katalonc(
      ['run', ...o.args, '--license-model=node-locked', '--', 'true'],
      o.env,
    );
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/the 1 KRE license is in use/);
    expect(r.stderr).not.toMatch(/floating/);
    // Without it the run floats; status --check keeps to it as well.
    expect((await katalonc(['run', ...o.args, '--', 'true'], o.env)).stderr).toMatch(
      /Online session \S+ \(KRE floating, /,
    );
    const check = await katalonc(
      ['status', '--check', ...o.args, '-licenseModel=node-locked'],
      o.env,
    );
    expect(check.code).toBe(6);
  });

  it('a model the organisation has no pool of: NO_POOL (exit 8) naming the pool it has and the fix', async () => {
    const o = await organisation(false);
    const r = await katalonc(['run', ...o.args, '-licenseModel=floating', '--', 'true'], o.env);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(
      new RegExp(
        `organisation ${o.org} has no KRE floating license pool \\(it has a node-locked one\\): leave out -licenseModel \\(and KATALONC_LICENSE_MODEL\\) to use the pool it has`,
      ),
    );
    expect(await machinesOf(o.org, 'KRE')).toEqual([]);
  });

  it("the console's floating section gives the line that runs on the floating pool (-licenseModel=floating), pasted as it is", async () => {
    const o = await organisation(true);
    const owner = await joinAs(on.server.url, o.org, `lines${o.org}@acme.test`, 'owner');
    const page = (await owner.get(`/console/orgs/${o.org}/licenses`)).text;
    const lines = [...page.matchAll(/<pre><code>(katalonc [^<]*)<\/code><\/pre>/g)].map((m) =>
      m[1].replaceAll('&quot;', '"'),
    );
    // Node-locked first (it falls back to floating when full), then the floating pool's own.
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toContain('-licenseModel');
    expect(lines[1]).toContain('-licenseModel=floating');
    // The line as a CI shell runs it: the key from the environment.
    const words = lines[1].replace('"-apiKey=$KATALON_API_KEY"', `-apiKey=${o.apiKey}`).split(' ');
    expect(words[0]).toBe('katalonc');
    const r = await katalonc(['run', ...words.slice(1), '--', 'true'], o.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Online session \S+ \(KRE floating, /);
    expect(await machinesOf(o.org, 'KRE-node-locked')).toEqual([]);
  });

  it('a value that is not a model: exit 4, from the option or the environment', async () => {
    const o = await organisation(false);
    const option = await katalonc(['run', ...o.args, '-licenseModel=float', '--', 'true'], o.env);
    expect(option.code).toBe(4);
    expect(option.stderr).toMatch(
      /-licenseModel must be one of node-locked, floating, not "float"/,
    );
    const env = await katalonc(['run', ...o.args, '--', 'true'], {
      ...o.env,
      KATALONC_LICENSE_MODEL: 'float',
    });
    expect(env.code).toBe(4);
    expect(env.stderr).toMatch(
      /KATALONC_LICENSE_MODEL must be one of node-locked, floating, not "float"/,
    );
  });
});

it('in a container, the machine-ID warning names -licenseModel=floating as the fix', async () => {
  const r = await katalonc(
    ['--print-machine-id'],
    userEnv(undefined, { KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
  );
  expect(r.stderr).toMatch(
    /warning: running in a container.*-licenseModel=floating \(or KATALONC_LICENSE_MODEL=floating\)/,
  );
});
