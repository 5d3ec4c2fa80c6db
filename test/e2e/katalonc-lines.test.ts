// The drop-in promise: real katalonc command lines (test/data/katalonc-lines.json) run unchanged but
// for the API key, the organisation, the server and proxy addresses. Each line's test engine is a
// stub that records its argv and environment and asks the server how many sessions its org holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import corpus from '../data/katalonc-lines.json' with { type: 'json' };
import { katalonc, tempDir, userEnv } from '../helpers/cli.ts';
import { ADMIN_TOKEN, adminApi, seedOrg, startServer, type TestServer } from '../helpers/server.ts';

/** A command line as a shell (or cmd.exe) splits it; backslashes are literal (Windows paths). */
const split = (line: string): string[] => {
  const tokens: string[] = [];
  let current = '';
  let quote: string | null = null;
  let inToken = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  return tokens.slice(1); // the program itself
};

// Written independently of the grammar: what Katalon's docs call licensing options. Not
// -testOps.serverUrl: katalonc may find the license server by it, but it names the engine's TestOps
// server (where reports go), so the engine gets it too.
const LICENSING =
  /^--?(apikey|orgid|serverurl|licenserelease|enablelicenseretry|licenseretry\w+|proxy\.auth\.[\w.]+|proxy\.option|proxy\.server\.[\w.]+|proxy\.excludes|proxy\.username|proxy\.password)(=|$)/i;

/** The engine's expected argv: the line without its licensing options and empty sections. */
const runnerPart = (args: string[]): string[] => {
  const kept = args.filter((t) => !LICENSING.test(t));
  return kept.filter((t, i) => {
    if (t !== '--config' && t !== '--info') return true;
    const next = kept[i + 1];
    return next !== undefined && next !== '--config' && next !== '--info';
  });
};

const STUB_ENGINE = `#!/usr/bin/env node
const fs = require('node:fs');
const license = JSON.parse(process.env.KATALONC_LICENSE);
fetch(process.env.STUB_ADMIN_URL + '/v1/admin/sessions?orgId=' + license.orgId, {
  headers: { authorization: 'Bearer ' + process.env.STUB_ADMIN_TOKEN },
})
  .then((r) => r.json())
  .then((body) => {
    fs.writeFileSync(process.env.STUB_RECORD, JSON.stringify({
      argv: process.argv.slice(2),
      apiKey: process.env.KATALON_API_KEY ?? null,
      license,
      liveSessions: body.sessions.length,
    }));
  });
`;

const CORPUS: { source: string; line: string }[] = corpus.lines;

const TESTOPS_SERVER = /^--?testops\.serverurl=/i;

let server: TestServer;
let proxy: Server;
let proxyPort: number;
let engine: string;

beforeAll(async () => {
  server = await startServer();
  proxy = createProxy(createServer());
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  proxyPort = (proxy.address() as { port: number }).port;
  engine = join(tempDir('stub-engine-'), 'engine.js');
  writeFileSync(engine, STUB_ENGINE, { mode: 0o755 });
});
afterAll(async () => {
  await server?.stop();
  proxy?.close();
});

/** The line with this test's key, org, server and proxy in place of the published ones. */
const substitute = (args: string[], o: { apiKey: string; org: number }, dir: string) =>
  args.map((t) => {
    const [name, ...rest] = t.split('=');
    const value = rest.join('=');
    const lower = name.toLowerCase();
    if (/^--?apikey$/.test(lower)) return `${name}=${o.apiKey}`;
    if (/^--?orgid$/.test(lower)) return `${name}=${o.org}`;
    if (/^--?(testops\.)?serverurl$/.test(lower)) return `${name}=${server.url}`;
    if (/^-proxy(\.auth)?\.server\.address$/.test(lower))
      return `${name}=${value.startsWith('http://') ? 'http://' : ''}127.0.0.1`;
    if (/^-proxy(\.auth)?\.server\.port$/.test(lower)) return `${name}=${proxyPort}`;
    if (lower === '-propertiesfile') {
      const file = join(dir, 'console.properties');
      writeFileSync(
        file,
        `# katalonc reads the licensing options; the engine the rest\napiKey=${o.apiKey}\n`,
      );
      return `${name}=${file}`;
    }
    return t;
  });

describe(`${CORPUS.length} real katalonc command lines`, () => {
  it('the corpus is large enough and says where each line comes from', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    for (const c of CORPUS) expect(c.source.length).toBeGreaterThan(10);
    // A GitHub Action and a Jenkinsfile, each with a self-hosted license server and TestOps server.
    expect(CORPUS.filter((c) => split(c.line).some((t) => TESTOPS_SERVER.test(t)))).toHaveLength(2);
  });

  it('each runs unchanged through a test engine, under one license, released after', async () => {
    const runOne = async ({ line, source }: (typeof CORPUS)[number]) => {
      const o = await seedOrg(server.url, { quota: 1 });
      const dir = tempDir('corpus-');
      const published = split(line);
      const args = substitute(published, o, dir);
      const hasKey = args.some((t) => /^--?apikey=|^-propertiesfile=/i.test(t));
      const hasServer = args.some((t) => /^--?(testops\.)?serverurl=/i.test(t));
      const record = join(dir, 'record.json');
      const env = userEnv(undefined, {
        KATALONC_ENGINE: engine,
        STUB_RECORD: record,
        STUB_ADMIN_URL: server.url,
        STUB_ADMIN_TOKEN: ADMIN_TOKEN,
        ...(hasKey ? {} : { KATALON_API_KEY: o.apiKey }),
        ...(hasServer ? {} : { KATALON_SERVER_URL: server.url }),
      });
      const r = await katalonc(args, env);
      const what = `${source}\n${line}\n${r.stderr}`;
      expect(r.code, what).toBe(0);
      const seen = JSON.parse(readFileSync(record, 'utf8'));
      expect(seen.argv, what).toEqual(runnerPart(args));
      for (const t of args.filter((a) => TESTOPS_SERVER.test(a)))
        expect(seen.argv, `${what}\nthe engine needs ${t}`).toContain(t);
      expect(seen.argv.join(' '), what).not.toContain(o.apiKey);
      expect(seen.apiKey, what).toBe(o.apiKey);
      expect(seen.license, what).toMatchObject({
        kind: 'online',
        product: 'KRE',
        orgId: String(o.org),
      });
      expect(seen.liveSessions, what).toBe(1);
      const after = await adminApi(server.url, 'GET', `/sessions?orgId=${o.org}`);
      expect(after.body.sessions, what).toEqual([]);
    };
    for (let i = 0; i < CORPUS.length; i += 6)
      await Promise.all(CORPUS.slice(i, i + 6).map(runOne));
  });

  it('without an engine, no line exits 0: exit 4 naming the runner options and the fix', async () => {
    const results = await Promise.all(
      CORPUS.map(async ({ line }) => {
        const r = await katalonc(
          split(line),
          userEnv(undefined, { KATALON_SERVER_URL: server.url }),
        );
        return { line, ...r };
      }),
    );
    for (const r of results) {
      expect(r.code, `${r.line}\n${r.stderr}`).toBe(4);
      // (The -propertiesFile line names a file that exists only in its Docker image.)
      expect(r.stderr, r.line).toMatch(
        /no engine is configured: set KATALONC_ENGINE|cannot read the -propertiesFile/,
      );
    }
  });

  it('"-apiKey= KEY" (a space after "="), as a GitHub Action README writes it: refused, the key not echoed', async () => {
    const r = await katalonc(
      [
        '-noSplash',
        '-retry=0',
        '-testSuiteCollectionPath=Test Suites/Simple',
        '-apiKey=',
        'kls_secret',
        '--config',
        '-webui.autoUpdateDrivers=true',
      ],
      userEnv(),
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/-apiKey= has an empty value, and a stray argument follows/);
    expect(r.stderr).not.toContain('kls_secret');
  });
});
