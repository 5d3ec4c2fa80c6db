// Test licenses: signed by a fresh server key that the checkout's development root certifies, so
// that the checkout's build of katalonc (which trusts that root) accepts them.
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, type SigningKey } from '../../src/core/license/keys.ts';
import { signLicense, type LicensePayload } from '../../src/core/license/format.ts';
import {
  armorCertificate,
  certify,
  type IssuerCertificate,
} from '../../src/core/license/certificate.ts';
import type { SignedBlock } from '../../src/core/license/armor.ts';
import { CERTIFICATE_FILE, openSigningKey } from '../../src/server/data-dir.ts';
import { devRootKey } from '../../scripts/dev-root.ts';

const DAY = 86_400_000;

export interface TestIssuer {
  key: SigningKey;
  certificate: SignedBlock;
  fields: Omit<IssuerCertificate, 'kind'>;
}

/** A server key and its certificate from `root` (by default the checkout's development root). */
export const testIssuer = (
  limits: Partial<Omit<IssuerCertificate, 'kind' | 'keyId' | 'publicKey'>> = {},
  root: SigningKey = devRootKey(),
  key: SigningKey = generateSigningKey().signingKey,
): TestIssuer => {
  const fields = {
    id: randomUUID(),
    keyId: key.keyId,
    publicKey: key.publicKey.text,
    orgs: ['*'],
    products: ['KRE', 'KSE'] as IssuerCertificate['products'],
    maxLicenses: 1000,
    notBefore: new Date(Date.now() - 30 * DAY).toISOString(),
    notAfter: new Date(Date.now() + 365 * DAY).toISOString(),
    ...limits,
  };
  return { key, certificate: certify(root, fields), fields };
};

/** The seats each test issuer has given, so that its licenses hold different seats, as a server's do. */
const seatsGiven = new WeakMap<TestIssuer, number>();

/** A license from `issuer`; an offline one holds the issuer's next seat unless `fields` names one. */
export const makeLicense = (
  issuer: TestIssuer,
  fields: Partial<Omit<LicensePayload, 'v' | 'kid'>> & { machineId: string },
): string => {
  const seat = (seatsGiven.get(issuer) ?? 0) + 1;
  if (fields.kind !== 'testing') seatsGiven.set(issuer, seat);
  return signLicense(
    {
      id: randomUUID(),
      product: 'KRE',
      kind: 'offline',
      orgId: 'org-1',
      orgName: 'Acme QA',
      issuedAt: new Date(Date.now() - DAY).toISOString(),
      expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
      certificateId: issuer.fields.id,
      ...(fields.kind === 'testing' ? {} : { seat }),
      ...fields,
    },
    issuer.key,
    issuer.certificate,
  );
};

/** Certifies a server data dir's key with the development root, as the licensor would. */
export const certifyDataDir = (
  dataDir: string,
  limits: Parameters<typeof testIssuer>[0] = {},
): void => {
  if (existsSync(join(dataDir, CERTIFICATE_FILE))) return;
  const issuer = testIssuer(limits, devRootKey(), openSigningKey(dataDir));
  writeFileSync(join(dataDir, CERTIFICATE_FILE), armorCertificate(issuer.certificate), {
    mode: 0o600,
  });
};
