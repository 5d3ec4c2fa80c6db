// Test licenses signed with a fresh key, trusted through KATALONC_TRUSTED_KEYS.
import { randomUUID } from 'node:crypto';
import { generateSigningKey, type SigningKey } from '../../src/core/license/keys.ts';
import { signLicense, type LicensePayload } from '../../src/core/license/format.ts';

export const testKey = (): SigningKey => generateSigningKey().signingKey;

const DAY = 86_400_000;

export const makeLicense = (
  key: SigningKey,
  fields: Partial<Omit<LicensePayload, 'v' | 'kid'>> & { machineId: string },
): string =>
  signLicense(
    {
      id: randomUUID(),
      product: 'KRE',
      kind: 'offline',
      orgId: 'org-1',
      orgName: 'Acme QA',
      issuedAt: new Date(Date.now() - DAY).toISOString(),
      expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
      ...fields,
    },
    key,
  );
