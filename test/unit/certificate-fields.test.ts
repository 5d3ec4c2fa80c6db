// "root certify"'s request, checked in core (certificateFields): what it signs is exactly what was
// asked for, and what it refuses names the option to fix.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { certificateFields } from '../../src/core/license/certificate.ts';
import { generateSigningKey } from '../../src/core/license/keys.ts';
import { isKatalonError } from '../../src/core/errors.ts';

const serverKey = generateSigningKey().signingKey.publicKey;
const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const asked = {
  serverKey: serverKey.text,
  orgs: '*',
  products: 'KRE,KSE',
  maxLicenses: 10,
  until: NOW + 86_400_000,
};

const refusal = (request: typeof asked): string => {
  try {
    certificateFields(request, 'id', NOW);
  } catch (error) {
    if (isKatalonError(error) && error.exitCode === 4) return error.message;
    throw error;
  }
  throw new Error('not refused');
};

describe('certificateFields', () => {
  it('certifies the key, products, organisations, count and dates asked for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1e9 }), { maxLength: 5 }),
        fc.subarray(['kre', ' KSE ', 'KRE']),
        fc.nat(1_000_000),
        fc.integer({ min: 1, max: 1e12 }),
        (orgs, products, maxLicenses, ahead) => {
          fc.pre(products.length > 0);
          const fields = certificateFields(
            {
              ...asked,
              orgs: orgs.map((o) => ` ${o} `).join(',') + ',',
              products: products.join(','),
              maxLicenses,
              until: NOW + ahead,
            },
            'cert-1',
            NOW,
          );
          expect(fields).toEqual({
            id: 'cert-1',
            keyId: serverKey.keyId,
            publicKey: serverKey.text,
            orgs: orgs.map(String),
            products: products.map((p) => p.trim().toUpperCase()),
            maxLicenses,
            notBefore: new Date(NOW).toISOString(),
            notAfter: new Date(NOW + ahead).toISOString(),
          });
        },
      ),
    );
  });

  it('refuses a key, a product or an end date with the option to fix', () => {
    expect(refusal({ ...asked, serverKey: 'ed25519:nope' })).toBe(
      '--server-key "ed25519:nope" is not a public key (ed25519:…)',
    );
    expect(refusal({ ...asked, products: 'KRE,KXE' })).toBe(
      '--products: "KXE" is not one of KRE, KSE',
    );
    expect(refusal({ ...asked, until: NOW })).toBe('--until is in the past');
  });
});
