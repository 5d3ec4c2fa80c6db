// Offline: katalonc license list over a folder of 1,000 signed license files, against a bare loop
// that reads and verifies them. The folder and this machine's ID serve the later sections too.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certify } from '../../src/core/license/certificate.ts';
import { signLicense } from '../../src/core/license/format.ts';
import { generateSigningKey } from '../../src/core/license/keys.ts';
import { formatMachineId } from '../../src/core/machine-id/format.ts';
import { devRootKey } from '../dev-root.ts';
import { tempDir } from '../harness/env.ts';
import { add, katalonc, node, quick, timeTogether } from './measure.ts';

export interface OfflineBench {
  /** The bench's temp folder. */
  work: string;
  /** The 1,000 license files, nine in ten for this machine. */
  licenseDir: string;
  thisMachine: string;
}

export const benchOffline = (nodeE0: number): OfflineBench => {
  console.log('Offline: validate a folder of 1,000 license files');
  const work = tempDir('katalonc-bench-');
  const licenseDir = join(work, 'license');
  mkdirSync(licenseDir);
  const { signingKey } = generateSigningKey();
  // Certified by the checkout's development root, which this build of katalonc trusts.
  const benchCertificate = certify(devRootKey(), {
    id: 'bench-certificate',
    keyId: signingKey.keyId,
    publicKey: signingKey.publicKey.text,
    orgs: ['*'],
    products: ['KRE'],
    maxLicenses: 10_000,
    notBefore: new Date(Date.now() - 86_400_000).toISOString(),
    notAfter: new Date(Date.now() + 365 * 86_400_000).toISOString(),
  });
  const thisMachine = spawnSync(node, [katalonc, '--print-machine-id'], {
    encoding: 'utf8',
  }).stdout.trim();
  for (let i = 0; i < 1000; i++) {
    writeFileSync(
      join(licenseDir, `KRE_${thisMachine} (${i}).lic`),
      signLicense(
        {
          id: `lic-${i}`,
          product: 'KRE',
          kind: 'offline',
          orgId: '1',
          orgName: 'Bench',
          machineId: i % 10 ? thisMachine : formatMachineId(randomBytes(16)),
          issuedAt: new Date(Date.now() - 86_400_000).toISOString(),
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          certificateId: 'bench-certificate',
          seat: i + 1,
        },
        signingKey,
        benchCertificate,
      ),
    );
  }
  const floor = join(work, 'floor.mjs');
  writeFileSync(
    floor,
    `
  import { readdirSync, readFileSync } from 'node:fs';
  import { createPublicKey, verify } from 'node:crypto';
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: ${JSON.stringify(signingKey.publicKey.text.slice(8))} }, format: 'jwk' });
  let ok = 0;
  for (const f of readdirSync(process.argv[2])) {
    const lines = readFileSync(process.argv[2] + '/' + f, 'utf8').split('\\n');
    const sigAt = lines.indexOf('-----BEGIN SIGNATURE-----');
    const payload = Buffer.from(lines.slice(4, sigAt).join(''), 'base64');
    const sigEnd = lines.findIndex((l, i) => i > sigAt && l.startsWith('-----'));
    const sig = Buffer.from(lines.slice(sigAt + 1, sigEnd).join(''), 'base64');
    if (verify(null, payload, key, sig)) ok++;
  }
  if (ok !== 1000) throw new Error('floor verified ' + ok);
  `,
  );
  const benchEnv = { ...process.env, HOME: work };
  const [listMs, floorMs] = timeTogether(
    [
      {
        cmd: node,
        args: [katalonc, 'license', 'list', '--json', `-licenseDir=${licenseDir}`],
        env: benchEnv,
      },
      { cmd: node, args: [floor, licenseDir], env: benchEnv },
    ],
    quick ? 5 : 15,
  ) as [number, number];
  const check = JSON.parse(
    spawnSync(node, [katalonc, 'license', 'list', '--json', `-licenseDir=${licenseDir}`], {
      env: benchEnv,
      encoding: 'utf8',
      maxBuffer: 1e8,
    }).stdout,
  );
  if (check.licenses.length !== 1000 || check.valid !== 900)
    throw new Error(`license list saw ${check.licenses.length} files, ${check.valid} valid`);
  add(
    'license list --json, 1,000 files vs read+verify loop',
    listMs,
    floorMs,
    '≤ 2x',
    (r) => r <= 2,
  );
  console.log(
    `  per file: ${(((listMs - nodeE0) / 1000) * 1000).toFixed(0)} µs (floor ${(((floorMs - nodeE0) / 1000) * 1000).toFixed(0)} µs)`,
  );
  return { work, licenseDir, thisMachine };
};
