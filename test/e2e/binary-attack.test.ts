// The standalone executable against a licensee without root who wants code of their own inside
// katalonc (which defeats every client check): by NODE_OPTIONS (--require), or by SIGUSR1, which
// opens Node.js's debugger in a running process of the same user. The real executable, run as an
// unprivileged OS user (setpriv), with a real offline license and real signals; Linux only.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { kataloncForEveryone, startKatalonc, tempDir, userEnv, waitFor } from '../helpers/cli.ts';
import { requireAll } from '../helpers/network.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';

const NOBODY = 65534;
const SETPRIV = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
const canActAsUser = process.platform === 'linux' && (process.getuid?.() === 0 || requireAll);
const skip = canActAsUser ? '' : ' (skipped: needs Linux and root, to act as another user)';

const asLicensee = (args: string[], env: Record<string, string>) =>
  startKatalonc(args, env, SETPRIV, [kataloncForEveryone()]);

/** Whether something listens on 127.0.0.1:`port` (the inspector's default port is 9229). */
const listening = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

describe.runIf(canActAsUser)(
  'no code of the licensee inside the standalone executable' + skip,
  () => {
    it('NODE_OPTIONS=--require runs nothing inside it', async () => {
      const dir = tempDir('katalonc-inject-');
      chmodSync(dir, 0o755);
      const payload = join(dir, 'inject.cjs');
      writeFileSync(payload, 'process.stderr.write("INJECTED\\n");\n', { mode: 0o644 });
      const r = await asLicensee(
        ['--version'],
        userEnv(dir, { NODE_OPTIONS: `--require=${payload}` }),
      ).result;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('INJECTED');
    });

    it('SIGUSR1 to a running katalonc opens no debugger, and the run goes on', async () => {
      const home = tempDir('katalonc-licensee-');
      const env = userEnv(home, { USER: 'nobody', KATALONC_CONTAINER_OK: '1' });
      chownSync(home, NOBODY, NOBODY);
      const machineId = (await asLicensee(['--print-machine-id'], env).result).stdout.trim();
      const folder = join(home, '.katalon', 'license');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'a.lic'), makeLicense(testIssuer(), { machineId }));
      spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, home]);
      const marker = join(home, 'started');
      const run = asLicensee(['run', '--', 'sh', '-c', `echo $$ > ${marker}; sleep 3`], env);
      await waitFor(() => existsSync(marker), 10_000, 'the run to start its command');
      const before = await listening(9229);
      process.kill(run.pid!, 'SIGUSR1');
      await new Promise((r) => setTimeout(r, 700));
      expect(before || !(await listening(9229))).toBe(true);
      const r = await run.result;
      expect(r.stderr).not.toMatch(/Debugger listening/);
      expect(r.code, r.stderr).toBe(0);
    });
  },
);
