// The trust model through real builds: a release build (KATALONC_BUILTIN_KEYS) trusts only the
// licensor's roots; nothing a licensee can set or add makes a license of their own valid.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../../src/core/license/keys.ts';
import { ROOT, cleanEnv, katalonc, run, tempDir, userEnv } from '../helpers/cli.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';

const licensorRoot = generateSigningKey().signingKey;
const out = join(tempDir('katalonc-build-'), 'dist');

const licenseFolder = (home: string, files: Record<string, string>) => {
  mkdirSync(join(home, '.katalon', 'license'), { recursive: true });
  for (const [name, text] of Object.entries(files))
    writeFileSync(join(home, '.katalon', 'license', name), text);
};

describe('a release build (KATALONC_BUILTIN_KEYS)', () => {
  it('trusts the built-in root only: its certified server licenses are valid, nothing else', async () => {
    execFileSync(process.execPath, ['scripts/build.ts', '--outdir', out], {
      cwd: ROOT,
      env: cleanEnv({ KATALONC_BUILTIN_KEYS: licensorRoot.publicKey.text }),
    });
    const cli = join(out, 'katalonc.js');
    const home = tempDir();
    const env = userEnv(home);
    const trusted = JSON.parse((await run(cli, ['trust', 'list', '--json'], env)).stdout);
    expect(trusted).toEqual({
      build: 'release',
      keys: [{ keyId: licensorRoot.keyId, key: licensorRoot.publicKey.text, origin: 'built-in' }],
    });
    expect((await run(cli, ['--version'], env)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const machineId = (await run(cli, ['--print-machine-id'], env)).stdout.trim();

    // The attack: a key of one's own, trusted by environment variable and by `trust add`, and a
    // "root" of one's own certifying it.
    const own = generateSigningKey().signingKey;
    const ownChain = testIssuer({}, own);
    licenseFolder(home, {
      'genuine.lic': makeLicense(testIssuer({}, licensorRoot), { machineId }),
      'self-signed.lic': makeLicense(ownChain, {
        machineId,
        expiresAt: '2099-01-01T00:00:00.000Z',
      }),
      'dev-root.lic': makeLicense(testIssuer(), { machineId }), // the checkout's development root
    });
    const hostile = userEnv(home, {
      KATALONC_TRUSTED_KEYS: `${own.publicKey.text},${ownChain.key.publicKey.text}`,
    });
    const add = await run(cli, ['trust', 'add', ownChain.key.publicKey.text], hostile);
    expect(add.code).toBe(4);
    expect(add.stderr).toMatch(/trusts only the root keys built into it/);
    const list = JSON.parse((await run(cli, ['license', 'list', '--json'], hostile)).stdout);
    const status = Object.fromEntries(
      list.licenses.map((l: { file: string; status: string }) => [l.file, l.status]),
    );
    expect(status).toEqual({
      'dev-root.lic': 'unknown-key',
      'genuine.lic': 'valid',
      'self-signed.lic': 'unknown-key',
    });
    expect(list.valid).toBe(1);
  });

  it("the tests' and the tour's build (--development) is a development build whatever the shell's KATALONC_BUILTIN_KEYS", async () => {
    const dev = join(tempDir('katalonc-build-'), 'dist');
    for (const keys of [licensorRoot.publicKey.text, 'not a key']) {
      execFileSync(process.execPath, ['scripts/build.ts', '--development', '--outdir', dev], {
        cwd: ROOT,
        env: cleanEnv({ KATALONC_BUILTIN_KEYS: keys }),
      });
      const trusted = JSON.parse(
        (await run(join(dev, 'katalonc.js'), ['trust', 'list', '--json'], userEnv(tempDir())))
          .stdout,
      );
      expect(trusted.build).toBe('development');
    }
  });

  it('a bad root key fails the build', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/build.ts', '--outdir', out], {
        cwd: ROOT,
        stdio: 'pipe',
        env: cleanEnv({ KATALONC_BUILTIN_KEYS: 'ed25519:nope' }),
      }),
    ).toThrow(/not a public key/);
  });
});

describe("the checkout's development build", () => {
  it('says so in --version and on every offline check; a self-signed license is still refused', async () => {
    const home = tempDir();
    const env = userEnv(home);
    expect((await katalonc(['--version'], env)).stdout.trim()).toMatch(/\(development build\)$/);
    const machineId = (await katalonc(['--print-machine-id'], env)).stdout.trim();
    const own = testIssuer({}, generateSigningKey().signingKey);
    licenseFolder(home, { 'self-signed.lic': makeLicense(own, { machineId }) });
    const r = await katalonc(
      ['-enableLicenseRetry=false', 'run', '--', 'true'],
      userEnv(home, { KATALONC_TRUSTED_KEYS: own.key.publicKey.text }),
    );
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /development build: licenses are valid only if certified by this checkout's own root key/,
    );
    expect((await katalonc(['license', 'list'], env)).stdout).toMatch(/development build/);
  });
});
