// katalonc run -- true as a whole process: online (activate and release on the bench's server)
// and offline (one license file), against node -e 0.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { add, katalonc, node, timeTogether } from './measure.ts';
import type { OfflineBench } from './offline.ts';
import { seedOrg, type BenchStore, type Replica } from './replica.ts';

export const benchRun = (
  { work, licenseDir, thisMachine }: OfflineBench,
  sqliteStore: BenchStore,
  sqliteServer: Replica,
): void => {
  console.log('katalonc run -- true, as a whole process: online (this server) and offline');
  {
    const { org, apiKey } = seedOrg(sqliteStore);
    const oneLicense = join(work, 'one-license');
    mkdirSync(oneLicense);
    writeFileSync(
      join(oneLicense, `KRE_${thisMachine}.lic`),
      readFileSync(join(licenseDir, `KRE_${thisMachine} (1).lic`)),
    );
    const runEnv = { ...process.env, HOME: join(work, 'run-home'), KATALON_API_KEY: apiKey };
    const [e0, online, offline] = timeTogether([
      { cmd: node, args: ['-e', '0'] },
      {
        cmd: node,
        args: [katalonc, `-orgID=${org}`, `-serverUrl=${sqliteServer.base}`, '--', 'true'],
        env: runEnv,
      },
      {
        cmd: node,
        args: [katalonc, 'run', `-licenseDir=${oneLicense}`, '--', 'true'],
        env: runEnv,
      },
    ]) as [number, number, number];
    add(
      'katalonc run -- true, online (activate, release) vs node -e 0',
      online,
      e0,
      '≤ 3x',
      (x) => x <= 3,
    );
    add(
      'katalonc run -- true, offline (one license file) vs node -e 0',
      offline,
      e0,
      '(reported)',
      () => true,
    );
  }
};
