// The chain of trust through the real programs: a server issues only what its certificate allows,
// katalonc checks the chain, a root's revocation list sticks, and rotated keys keep old licenses.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { armorCertificate, revoke } from '../../src/core/license/certificate.ts';
import { CERTIFICATE_FILE, openSigningKey } from '../../src/server/data-dir.ts';
import { devRootKey } from '../../scripts/dev-root.ts';
import { SERVER, katalonc, run, tempDir, userEnv } from '../helpers/cli.ts';
import { certifyDataDir, makeLicense, testIssuer } from '../helpers/licenses.ts';
import {
  ADMIN_TOKEN,
  adminApi,
  adminCli,
  offlineCreateArgs,
  poolCreateArgs,
  randomMachineId,
  seedOrg,
  startServer,
} from '../helpers/server.ts';

const DAY = 86_400_000;

/** Writes certificates for `key`, issued at `notBefore`, allowing `maxLicenses`; resolves to their file. */
const certificateFor =
  (key: ReturnType<typeof openSigningKey>) => (notBefore: number, maxLicenses: number) => {
    const file = join(tempDir(), 'server.cert');
    const issuer = testIssuer(
      { notBefore: new Date(notBefore).toISOString(), maxLicenses },
      devRootKey(),
      key,
    );
    writeFileSync(file, armorCertificate(issuer.certificate));
    return file;
  };

const json = async (dataDir: string, args: string[]) => {
  const r = await adminCli(dataDir, [...args, '--json']);
  return { code: r.code, body: JSON.parse(r.stdout || '{}') };
};

describe('a server issues only what its issuer certificate allows', () => {
  it('its organisations, its number of licenses, never past its end; katalonc accepts what it issued', async () => {
    const dataDir = tempDir('kls-data-');
    const notAfter = new Date(Date.now() + 10 * DAY).toISOString();
    certifyDataDir(dataDir, { orgs: ['1'], maxLicenses: 1, notAfter });
    const org = String((await json(dataDir, ['org', 'create', '--name', 'Covered'])).body.id);
    const other = String((await json(dataDir, ['org', 'create', '--name', 'Not covered'])).body.id);
    const expires = new Date(Date.now() + 300 * DAY).toISOString().slice(0, 10);
    for (const o of [org, other]) await json(dataDir, poolCreateArgs(o, { quota: '5', expires }));
    const home = tempDir();
    const machineId = (await katalonc(['--print-machine-id'], userEnv(home))).stdout.trim();
    const folder = join(home, '.katalon', 'license');
    const create = (o: string) =>
      json(dataDir, [...offlineCreateArgs(o, machineId), '--out', folder]);

    const first = await create(org);
    expect(first.code, JSON.stringify(first.body)).toBe(0);
    expect(first.body.expiresAt).toBe(notAfter); // capped at the certificate's end, not 60 days
    const list = JSON.parse((await katalonc(['license', 'list', '--json'], userEnv(home))).stdout);
    expect(list.valid).toBe(1);

    const second = await create(org);
    expect(second.code).toBe(8);
    expect(second.body.error.message).toMatch(/allows 1 offline licenses, all issued/);
    const uncovered = await create(other);
    expect(uncovered.body.error.message).toMatch(/does not cover organisation 2/);
  });

  it('keys public, certificate install and admin-token refuse a mistyped data dir and make nothing there; an empty folder gets its key', async () => {
    // Otherwise the licensor certifies a new key the server never uses, and it installs there fine.
    const missing = join(tempDir(), 'typo');
    const cert = join(tempDir(), 'server.cert');
    writeFileSync(cert, armorCertificate(testIssuer().certificate));
    const keys = await run(SERVER, ['--data-dir', missing, 'keys', 'public'], userEnv());
    expect(keys.code).toBe(4);
    expect(keys.stderr).toBe(
      `error: there is no data dir at ${missing}: pass the server's --data-dir (or KLS_DATA_DIR); "start" makes a new one\n`,
    );
    const install = await run(
      SERVER,
      ['--data-dir', missing, 'certificate', 'install', cert],
      userEnv(),
    );
    expect(install.code).toBe(4);
    expect(install.stderr).toMatch(/^error: there is no data dir at .*typo: pass the server's/);
    // Nor an admin token that no server checks (the admin API would answer 401 to it).
    const token = await run(SERVER, ['--data-dir', missing, 'admin-token'], userEnv());
    expect(token.code).toBe(4);
    expect(token.stderr).toMatch(/^error: there is no data dir at .*typo: pass the server's/);
    expect(existsSync(missing)).toBe(false);
    // To certify before the first start, make the folder: its key is made there and kept.
    mkdirSync(missing, { mode: 0o700 });
    const made = await run(SERVER, ['--data-dir', missing, 'keys', 'public'], userEnv());
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toBe(`${openSigningKey(missing).publicKey.text}\n`);
  });

  it('a certificate for another key is refused at install', async () => {
    const dataDir = tempDir('kls-data-');
    const cert = join(tempDir(), 'other.cert');
    writeFileSync(cert, armorCertificate(testIssuer().certificate));
    const r = await adminCli(dataDir, ['certificate', 'install', cert]);
    // adminCli certifies a fresh data dir first; installing a certificate for another key must fail.
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/certifies key .*, but this server's signing key is/);
  });

  it('an older certificate for the same key is refused at install, and the newer one stays', async () => {
    const dataDir = tempDir('kls-data-');
    const key = openSigningKey(dataDir);
    const write = certificateFor(key);
    const newer = write(Date.now() - DAY, 5);
    const older = write(Date.now() - 10 * DAY, 500); // broader, and issued before
    expect((await adminCli(dataDir, ['certificate', 'install', newer])).code).toBe(0);
    const r = await adminCli(dataDir, ['certificate', 'install', older]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /was issued on .*, before the installed certificate .* an older certificate never replaces a newer one/,
    );
    const installed = readFileSync(join(dataDir, CERTIFICATE_FILE), 'utf8');
    expect(installed).toBe(readFileSync(newer, 'utf8'));
    // The same certificate again, or a later one, is installed.
    expect((await adminCli(dataDir, ['certificate', 'install', newer])).code).toBe(0);
    const later = write(Date.now(), 3);
    expect((await adminCli(dataDir, ['certificate', 'install', later])).code).toBe(0);
  });
});

describe('a certificate installed while the server runs', () => {
  it('counts at once, without a restart', async () => {
    const dataDir = tempDir('kls-data-');
    const key = openSigningKey(dataDir);
    const write = certificateFor(key);
    expect(
      (await adminCli(dataDir, ['certificate', 'install', write(Date.now() - DAY, 1)])).code,
    ).toBe(0);
    const server = await startServer({ dataDir });
    const { org } = await seedOrg(server.url, { quota: 5, model: 'node-locked' });
    const issue = () =>
      adminApi(server.url, 'POST', `/orgs/${org}/pools/KRE/offline-licenses`, {
        machineId: randomMachineId(),
      });
    expect((await issue()).status).toBe(201);
    const full = await issue();
    expect(full.body.error.message).toMatch(/allows 1 offline licenses, all issued/);
    // The licensor's new certificate, installed on the data dir while the server runs.
    expect((await adminCli(dataDir, ['certificate', 'install', write(Date.now(), 1)])).code).toBe(
      0,
    );
    expect((await issue()).status).toBe(201);
    expect((await issue()).body.error.message).toMatch(/allows 1 offline licenses, all issued/);
    // And one sent through the running server (--server, no data dir needed).
    const remote = await adminCli(
      tempDir(),
      ['--server', server.url, 'certificate', 'install', write(Date.now(), 5), '--json'],
      { KLS_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    expect(remote.code, remote.stderr).toBe(0);
    expect(JSON.parse(remote.stdout)).toMatchObject({
      installed: 'the running server',
      maxLicenses: 5,
    });
    expect((await issue()).status).toBe(201);
    await server.stop();
  });
});

describe('katalonc and the root', () => {
  it("a root's revocation list invalidates that server's licenses, and deleting the file does not undo it", async () => {
    const home = tempDir();
    const env = userEnv(home);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const compromised = testIssuer();
    const rotated = testIssuer(); // the server's new key and certificate
    const folder = join(home, '.katalon', 'license');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'a.lic'), makeLicense(compromised, { machineId }));
    writeFileSync(join(folder, 'b.lic'), makeLicense(rotated, { machineId }));
    const statuses = async () =>
      Object.fromEntries(
        JSON.parse((await katalonc(['license', 'list', '--json'], env)).stdout).licenses.map(
          (l: { file: string; status: string }) => [l.file, l.status],
        ),
      );
    expect(await statuses()).toEqual({ 'a.lic': 'valid', 'b.lic': 'valid' }); // rotation: both work
    const krl = join(folder, 'revoked.krl');
    writeFileSync(
      krl,
      revoke(devRootKey(), {
        id: 'r1',
        issuedAt: new Date().toISOString(),
        revokedKeyIds: [compromised.key.keyId],
      }),
    );
    expect(await statuses()).toEqual({ 'a.lic': 'revoked', 'b.lic': 'valid' });
    rmSync(krl);
    expect(await statuses()).toEqual({ 'a.lic': 'revoked', 'b.lic': 'valid' });
  });
});
