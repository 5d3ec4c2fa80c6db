// The database's schema version against the server's: a newer one is refused by the server and by
// every admin command without a write; a read-only command never migrates; nobody migrates a
// database that a server uses. On both stores, the version changed from outside as another release
// would leave it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminCli, startServer, type TestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/cli.ts';
import { sqlOn, type StoreRef } from '../helpers/counters.ts';
import { storeEnvironment, stores, type Postgres } from '../../scripts/harness/postgres.ts';

describe.each(stores)('schema versions on $name', ({ skip, postgres }) => {
  let cluster: Postgres | undefined;
  let env: Record<string, string> = {};
  let dataDir: string;
  let store: StoreRef;

  beforeAll(async () => {
    if (skip) return;
    ({ env, cluster } = await storeEnvironment(postgres));
  }, 60_000);
  afterAll(() => cluster?.destroy());
  beforeEach(async ({ skip: skipTest }) => {
    if (skip) skipTest();
    // A database of this version, with an organisation in it.
    if (postgres) env = { KLS_DATABASE_URL: await cluster!.createDatabase() };
    dataDir = tempDir('kls-schema-');
    store = postgres ? { databaseUrl: env.KLS_DATABASE_URL } : { dataDir };
    expect((await adminCli(dataDir, ['org', 'create', '--name', 'Kept'], env)).code).toBe(0);
  });

  const version = async () =>
    Number((await sqlOn(store, 'SELECT max(version) AS v FROM schema_version'))[0].v);
  /** What the database holds, to compare before and after. */
  const contents = async () =>
    postgres
      ? JSON.stringify([
          await sqlOn(store, 'SELECT * FROM schema_version ORDER BY version'),
          await sqlOn(store, 'SELECT * FROM orgs ORDER BY id'),
          await sqlOn(store, 'SELECT * FROM pools ORDER BY id'),
        ])
      : ['licenses.db', 'licenses.db-wal']
          .map((f) => join(dataDir, f))
          .map((f) =>
            existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : '-',
          )
          .join(' ');

  it('a schema newer than the server knows: start and every admin command refuse it (exit 1, "upgrade"), and write nothing', async () => {
    const newer = (await version()) + 5;
    await sqlOn(store, 'INSERT INTO schema_version (version) VALUES (?)', newer);
    const before = await contents();
    for (const args of [
      ['start', '--port', '0'],
      ['org', 'list'],
      ['org', 'create', '--name', 'Other'],
      ['migrate'],
    ]) {
      const r = await adminCli(dataDir, args, env);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `schema version ${newer}, newer than this katalon-license-server .*upgrade this one`,
        ),
      );
    }
    expect(await contents()).toBe(before);
  });

  it('a schema older than the server: a read-only command refuses (start the server or migrate) and does not migrate', async () => {
    const current = await version();
    // As an older release leaves it (its last migration not applied).
    await sqlOn(store, 'DELETE FROM schema_version WHERE version = ?', current);
    for (const args of [
      ['org', 'list'],
      ['pool', 'list', '--org', '1'],
      ['session', 'list'],
    ]) {
      const r = await adminCli(dataDir, args, env);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(
        /older than this katalon-license-server needs .*"katalon-license-server migrate"/,
      );
    }
    expect(await version()).toBe(current - 1);
  });

  it('nobody migrates a database that a server uses: admin commands and another server are refused, naming it', async () => {
    const server: TestServer = await startServer({
      dataDir,
      env: { ...env, KLS_REPLICA_NAME: 'old-replica' },
    });
    try {
      const current = await version();
      await sqlOn(store, 'DELETE FROM schema_version WHERE version = ?', current);
      const commands = [['org', 'create', '--name', 'Other'], ['migrate']];
      // On PostgreSQL, a second replica's start would migrate too.
      if (postgres) commands.push(['start', '--port', '0']);
      for (const args of commands) {
        const r = await adminCli(dataDir, args, env);
        expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(
          postgres
            ? /another server uses it \(katalon-license-server\/old-replica\): stop every server first/
            : new RegExp(
                `another server uses it \\(the server on .*, pid ${server.process.pid}\\)`,
              ),
        );
      }
      expect(await version()).toBe(current - 1);
    } finally {
      await server.stop();
    }
  }, 30_000);
});
