// A client built with KATALONC_BUILTIN_KEYS trusts that key with no `trust add` and no environment.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run, tempDir, userEnv } from '../helpers/cli.ts';
import { makeLicense, testKey } from '../helpers/licenses.ts';

describe('keys built in at build time', () => {
  it('are trusted by that build, and a bad key fails the build', async () => {
    const key = testKey();
    const out = join(tempDir('katalonc-build-'), 'dist');
    execFileSync(process.execPath, ['scripts/build.ts', '--outdir', out], {
      cwd: ROOT,
      env: { ...process.env, KATALONC_BUILTIN_KEYS: key.publicKey.text },
    });
    const cli = join(out, 'katalonc.js');
    const home = tempDir();
    const env = userEnv(home);
    const trusted = JSON.parse((await run(cli, ['trust', 'list', '--json'], env)).stdout);
    expect(trusted.keys).toEqual([
      { keyId: key.keyId, key: key.publicKey.text, origin: 'built-in' },
    ]);
    const machineId = (await run(cli, ['--print-machine-id'], env)).stdout.trim();
    mkdirSync(join(home, '.katalon', 'license'), { recursive: true });
    writeFileSync(join(home, '.katalon', 'license', 'a.lic'), makeLicense(key, { machineId }));
    expect(JSON.parse((await run(cli, ['license', 'list', '--json'], env)).stdout).valid).toBe(1);
    expect(() =>
      execFileSync(process.execPath, ['scripts/build.ts', '--outdir', out], {
        cwd: ROOT,
        stdio: 'pipe',
        env: { ...process.env, KATALONC_BUILTIN_KEYS: 'ed25519:nope' },
      }),
    ).toThrow(/not a public key/);
  });
});
