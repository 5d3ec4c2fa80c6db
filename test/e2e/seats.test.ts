// A certificate's maxLicenses against a server that issues past it, through the real programs: a
// second data dir with the same signing key and certificate, and rows deleted from the database,
// each sign licenses for one machine under a max-1 certificate. katalonc runs one of them at a
// time, in one folder or in several, and counts one seat; a number outside the certificate's range
// is refused; the server numbers seats from 1 and gives a number again once its license expires.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  katalonc,
  maxConcurrency,
  probe,
  startKatalonc,
  tempDir,
  userEnv,
} from '../helpers/cli.ts';
import { certifyDataDir, makeLicense, testIssuer } from '../helpers/licenses.ts';
import { adminCli, offlineCreateArgs, poolCreateArgs, randomMachineId } from '../helpers/server.ts';
import { CERTIFICATE_FILE } from '../../src/server/data-dir.ts';
import { dearmorLicense } from '../../src/core/license/format.ts';
import { payloadOf } from '../../src/core/license/armor.ts';

const json = async (dataDir: string, args: string[]) => {
  const r = await adminCli(dataDir, [...args, '--json']);
  return { code: r.code, body: JSON.parse(r.stdout || '{}') };
};

/** A data dir with an organisation and a node-locked KRE pool; its organisation's ID. */
const withPool = async (dataDir: string): Promise<string> => {
  const org = String((await json(dataDir, ['org', 'create', '--name', 'Acme QA'])).body.id);
  const expires = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
  expect((await json(dataDir, poolCreateArgs(org, { quota: '10', expires }))).code).toBe(0);
  return org;
};

/** The signed payload of a license file: what katalonc reads. */
const payload = (file: string) => {
  const armored = dearmorLicense(readFileSync(file, 'latin1'));
  if (!armored.ok) throw new Error(`${file}: ${JSON.stringify(armored)}`);
  return payloadOf(armored.document)!;
};

describe('a certificate of one license, and a server that issues past it', () => {
  it('a second data dir with the same key and certificate, and deleted rows, give one machine three licenses: one runs at a time, in one folder or three, and they count as one seat', async () => {
    const home = tempDir('katalonc-home-');
    const env = userEnv(home);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const first = tempDir('kls-data-');
    certifyDataDir(first, { maxLicenses: 1 });
    // The operator's copy: the same signing key and certificate in a new data dir.
    const second = tempDir('kls-data-');
    for (const f of ['signing-key.pem', CERTIFICATE_FILE])
      copyFileSync(join(first, f), join(second, f));
    const folders = [1, 2, 3].map((i) => join(home, `licenses-${i}`));
    const issue = async (dataDir: string, org: string, folder: string) => {
      const r = await json(dataDir, [...offlineCreateArgs(org, machineId), '--out', folder]);
      expect(r.code, JSON.stringify(r.body)).toBe(0);
    };
    const [orgA, orgB] = [await withPool(first), await withPool(second)];
    await issue(first, orgA, folders[0]);
    expect((await json(first, [...offlineCreateArgs(orgA, machineId), '--out', home])).code).toBe(
      8,
    ); // the first data dir keeps its own count...
    await issue(second, orgB, folders[1]); // ...the copy does not know it
    const db = new DatabaseSync(join(first, 'licenses.db'));
    db.exec('DELETE FROM offline_licenses'); // and neither does a database with its rows deleted
    db.close();
    await issue(first, orgA, folders[2]);

    // Each in a folder of its own, and all three in one folder.
    const together = join(home, 'together');
    mkdirSync(together);
    for (const [i, folder] of folders.entries())
      for (const f of readdirSync(folder))
        writeFileSync(join(together, `${i}-${f}`), readFileSync(join(folder, f)));

    // One run per folder, and two more on the folder of all three, at once: one runs, the others
    // find the seat held, as runs beyond one license file do.
    const log = join(tempDir(), 'log');
    const runs = [...folders, together, together].map((dir) =>
      startKatalonc(
        [`-licenseDir=${dir}`, 'run', '-enableLicenseRetry=false', '--', ...probe(log, 4000)],
        env,
      ),
    );
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.code).sort()).toEqual([0, 6, 6, 6, 6]);
    for (const r of results.filter((x) => x.code === 6))
      expect(r.stderr).toMatch(/valid offline licenses? .* (is|are) in use/);
    expect(maxConcurrency(log)).toBe(1);

    // The folder of all three counts one seat (the other two name the license they yield to).
    const list = await katalonc(['license', 'list', '--json', `-licenseDir=${together}`], env);
    const report = JSON.parse(list.stdout);
    expect(report.licenses.map((l: { status: string }) => l.status)).toEqual([
      'valid',
      'valid',
      'valid',
    ]);
    expect(report.valid).toBe(1);
    expect(
      report.licenses.filter((l: { message: string }) => /holds seat 1/.test(l.message)),
    ).toHaveLength(2);
    expect((await katalonc(['license', 'list', `-licenseDir=${together}`], env)).stdout).toContain(
      'The number of valid offline licenses: 1',
    );
  });

  it('an offline license with a number outside its certificate, or none, is never valid', async () => {
    const home = tempDir('katalonc-home-');
    const env = userEnv(home);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const issuer = testIssuer({ maxLicenses: 1 });
    const folder = join(home, '.katalon', 'license');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'seat-2.lic'), makeLicense(issuer, { machineId, seat: 2 }));
    writeFileSync(join(folder, 'seat-0.lic'), makeLicense(issuer, { machineId, seat: 0 }));
    writeFileSync(join(folder, 'none.lic'), makeLicense(issuer, { machineId, seat: undefined }));
    const r = await katalonc(['license', 'list', '--json'], env);
    expect(r.code).toBe(6);
    const licenses = JSON.parse(r.stdout).licenses;
    expect(licenses.map((l: { status: string }) => l.status)).toEqual(
      Array(3).fill('outside-certificate'),
    );
    expect(licenses.find((l: { file: string }) => l.file === 'seat-2.lic').message).toMatch(
      /seat number 2 is outside its issuer's range \(1 to 1\)/,
    );
    const run = await katalonc(['run', '-enableLicenseRetry=false', '--', 'true'], env);
    expect(run.code).toBe(6);
  });
});

describe('the server numbers seats', () => {
  it('from 1 up to the certificate, refuses past it, and gives a number again once its license expires; testing licenses take none', async () => {
    const dataDir = tempDir('kls-data-');
    certifyDataDir(dataDir, { maxLicenses: 2 });
    const org = await withPool(dataDir);
    const out = tempDir();
    /** Issues a license; the signed payload of the file written, or the refusal. */
    const create = async (machineId: string, ...more: string[]) => {
      const r = await json(dataDir, [...offlineCreateArgs(org, machineId), '--out', out, ...more]);
      return { ...r, license: r.code === 0 ? payload(r.body.file as string) : undefined };
    };
    const soon = Date.now() + 4000;
    const machines = ['FYD30-WWAV1-QD45F-RDW0N', 'KEHM5-0M4KF-T8BVZ-ZNVZE'];
    const first = await create(machines[0], '--expires', new Date(soon).toISOString());
    expect(first.license?.seat).toBe(1);
    expect((await create(machines[1])).license?.seat).toBe(2);
    const testing = (await create(machines[1], '--testing')).license;
    expect(testing?.kind).toBe('testing');
    expect(testing).not.toHaveProperty('seat');
    const full = await create(machines[0]);
    expect(full.code).toBe(8);
    expect(full.body.error.message).toMatch(/allows 2 offline licenses, all issued/);
    await new Promise((r) => setTimeout(r, soon - Date.now() + 100));
    expect((await create(machines[0])).license?.seat).toBe(1);
  });
});

describe('offline create --replace', () => {
  it("re-issues a machine's license in its seat: no second license of the pool, the two files are one seat on that machine, and nothing else is replaced", async () => {
    const home = tempDir('katalonc-home-');
    const env = userEnv(home);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const other = randomMachineId();
    const dataDir = tempDir('kls-data-');
    certifyDataDir(dataDir, { maxLicenses: 5 });
    const org = String((await json(dataDir, ['org', 'create', '--name', 'Acme QA'])).body.id);
    const expires = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
    expect((await json(dataDir, poolCreateArgs(org, { quota: '1', expires }))).code).toBe(0);
    const [a, b] = [join(home, 'a'), join(home, 'b')];
    const create = (machine: string, out: string, ...more: string[]) =>
      json(dataDir, [...offlineCreateArgs(org, machine), '--out', out, ...more]);

    const first = await create(machineId, a);
    expect(first.code).toBe(0);
    expect((await create(machineId, b)).body.error.code).toBe('QUOTA_EXCEEDED');
    // Nothing to replace on another machine; a testing license replaces nothing; a replacement
    // that would expire before the license it replaces would leave that one running uncounted.
    const none = await create(other, b, '--replace');
    expect(none.code).toBe(4);
    expect(none.body.error.message).toMatch(/holds no unexpired offline license of this pool/);
    expect((await create(machineId, b, '--replace', '--testing')).code).toBe(4);
    const early = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const shorter = await create(machineId, b, '--replace', '--expires', early);
    expect(shorter.code).toBe(8);
    expect(shorter.body.error.message).toMatch(/before license .* it replaces/);

    const second = await create(machineId, b, '--replace');
    expect(second.code, JSON.stringify(second.body)).toBe(0);
    expect(second.body.replaces).toBe(first.body.id);
    const [p1, p2] = [first, second].map((r) => payload(r.body.file as string));
    expect(p2.seat).toBe(p1.seat);
    expect(p2.id).not.toBe(p1.id);
    // The pool counts the new one only, and is still full: no seat was freed for another machine.
    const pool = (await json(dataDir, ['pool', 'show', '--org', org, '--product', 'KRE'])).body;
    expect(pool.offlineLicenses.map((l: { id: string }) => l.id)).toEqual([second.body.id]);
    expect(pool.available).toBe(0);
    expect((await create(other, b)).body.error.code).toBe('QUOTA_EXCEEDED');

    // On the machine, both files are one seat: in one folder or in two, one run at a time.
    const together = join(home, 'together');
    mkdirSync(together);
    copyFileSync(first.body.file as string, join(together, 'old.lic'));
    copyFileSync(second.body.file as string, join(together, 'new.lic'));
    const log = join(tempDir(), 'log');
    const runs = [a, b, together].map((dir) =>
      startKatalonc(
        [`-licenseDir=${dir}`, 'run', '-enableLicenseRetry=false', '--', ...probe(log, 3000)],
        env,
      ),
    );
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.code).sort()).toEqual([0, 6, 6]);
    expect(maxConcurrency(log)).toBe(1);
    const list = JSON.parse(
      (await katalonc(['license', 'list', '--json', `-licenseDir=${together}`], env)).stdout,
    );
    expect(list.valid).toBe(1);

    // A license of another certificate (the server certified again) is not replaced: katalonc
    // would take the two files for two seats.
    rmSync(join(dataDir, CERTIFICATE_FILE));
    certifyDataDir(dataDir, { maxLicenses: 5 });
    const recertified = await create(machineId, join(home, 'c'), '--replace');
    expect(recertified.code).toBe(8);
    expect(recertified.body.error.message).toMatch(/another issuer certificate/);
  });
});
