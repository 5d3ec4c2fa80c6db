// What katalonc loads to start, so that what makes it slow cannot come back unnoticed: undici (with
// node:http2, 1.4 MB: for proxies only), node:crypto (OpenSSL: only to verify license files and an
// online session's signed grants), the
// readline that node:fs/promises brings, Node's own copy of undici. Read from the built CLI's
// process.moduleLoadList, written at exit by a preloaded module. (How fast it is: npm run bench.)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { katalonc, ROOT, tempDir, userEnv } from '../helpers/cli.ts';
import { seedOrg, startServer, type TestServer } from '../helpers/server.ts';

const work = tempDir('start-up-');
const PRELOAD = join(work, 'loaded.mjs');
writeFileSync(
  PRELOAD,
  // Not `import … from 'node:fs'`: that alone would load fs/promises and readline.
  "const { writeFileSync } = process.getBuiltinModule('node:fs');\n" +
    'process.on(\'exit\', () => writeFileSync(process.env.LOADED_TO, process.moduleLoadList.join("\\n")));\n',
);

/** The Node.js modules a katalonc command line loaded. */
const loadedBy = async (args: string[], env: Record<string, string>) => {
  const file = join(work, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const r = await katalonc(args, { ...env, NODE_OPTIONS: `--import=${PRELOAD}`, LOADED_TO: file });
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(file, 'utf8').split('\n');
};

const HEAVY = [
  'NativeModule http2',
  'NativeModule crypto',
  'NativeModule internal/readline/interface',
  'NativeModule internal/deps/undici/undici',
  'NativeModule worker_threads',
];

describe('what katalonc loads to start', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('an online run (activate, run, release) against an http server loads none of the heavy modules but node:crypto, for its signed grant', async () => {
    const { org, apiKey } = await seedOrg(server.url);
    const loaded = await loadedBy(
      [`-orgID=${org}`, `-serverUrl=${server.url}`, '--', 'true'],
      userEnv(undefined, { KATALON_API_KEY: apiKey }),
    );
    expect(loaded).toContain('NativeModule http');
    expect(HEAVY.filter((m) => loaded.includes(m))).toEqual(['NativeModule crypto']);
  });

  it('--print-machine-id loads none of them either, nor node:http', async () => {
    const loaded = await loadedBy(['--print-machine-id'], userEnv());
    expect([...HEAVY, 'NativeModule http'].filter((m) => loaded.includes(m))).toEqual([]);
  });

  it("katalonc's bundles carry no TypeBox: the wire contract (core/wire) reaches it as types only", () => {
    const dist = join(ROOT, 'dist');
    const bundles = readdirSync(dist).filter(
      (f) => f.endsWith('.js') && f !== 'katalon-license-server.js',
    );
    expect(bundles).toContain('katalonc.js');
    // '~kind' marks every TypeBox schema: the server's bundle imports it, katalonc's must not.
    const carrying = bundles.filter((f) => readFileSync(join(dist, f), 'utf8').includes('~kind'));
    expect(carrying).toEqual([]);
  });
});
