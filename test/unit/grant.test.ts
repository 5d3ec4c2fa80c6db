// An online session's signed grant (core/license/grant.ts): katalonc runs on a session only when a
// server certified by a built-in root signed exactly this session, machine, organisation, product,
// nonce and lease terms. Pure, against real keys and certificates.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { grantRefusal, signGrant, type SessionGrant } from '../../src/core/license/grant.ts';
import { generateSigningKey } from '../../src/core/license/keys.ts';
import { testIssuer } from '../helpers/licenses.ts';
import { devRootKey } from '../../scripts/dev-root.ts';

const root = devRootKey();
const roots = new Map([[root.keyId, root.publicKey]]);
const trust = { roots, revokedKeyIds: new Set<string>() };
const issuer = testIssuer({ orgs: ['7'], products: ['KRE'] });
const grant: SessionGrant = {
  kind: 'session',
  sessionId: 'b3c1f0a2-0000-4000-8000-000000000001',
  nonce: '00112233445566778899aabbccddeeff',
  machineId: '5RV7Y-K8PMW-RXHEA-QAJYY',
  orgId: 7,
  product: 'KRE',
  leaseExpiresAt: '2026-12-06T12:00:00.000Z',
  heartbeatIntervalSeconds: 20,
  subscriptionExpiresAt: '2027-01-01T00:00:00.000Z',
  outageGraceMinutes: 5,
};
const signed = signGrant(issuer.key, issuer.certificate, grant);
const now = Date.now();

describe('a session grant', () => {
  it('is accepted for exactly what it grants, from a certified server', () => {
    expect(grantRefusal(signed, grant, trust, now)).toBeNull();
  });

  it('is refused when absent, made up, or signed under a root katalonc does not trust', () => {
    expect(grantRefusal(undefined, grant, trust, now)).toMatch(/no signed grant/);
    expect(grantRefusal('trust me', grant, trust, now)).toMatch(/not a session grant/);
    const own = testIssuer({}, generateSigningKey().signingKey);
    expect(grantRefusal(signGrant(own.key, own.certificate, grant), grant, trust, now)).toMatch(
      /not a root this katalonc trusts/,
    );
  });

  it('is refused for any other session, nonce, machine, organisation, product or lease terms (a replay, a proxy that stretches the lease)', () => {
    const numbers = new Set(['orgId', 'heartbeatIntervalSeconds', 'outageGraceMinutes']);
    fc.assert(
      fc.property(
        fc.constantFrom(
          'sessionId',
          'nonce',
          'machineId',
          'orgId',
          'product',
          'leaseExpiresAt',
          'heartbeatIntervalSeconds',
          'subscriptionExpiresAt',
          'outageGraceMinutes',
        ),
        fc.string({ minLength: 1 }),
        (field, value) => {
          const other = { ...grant, [field]: numbers.has(field) ? 1e6 : `${value}x` };
          expect(grantRefusal(signed, other as SessionGrant, trust, now)).toMatch(
            new RegExp(`another ${field}`),
          );
        },
      ),
    );
    // A proxy that drops the subscription's end from the answer (to give a run its outage grace
    // past that end) is found too.
    expect(
      grantRefusal(signed, { ...grant, subscriptionExpiresAt: undefined }, trust, now),
    ).toMatch(/another subscriptionExpiresAt/);
  });

  it('is refused from a revoked key, or outside its certificate (organisation, product, dates)', () => {
    const revoked = { roots, revokedKeyIds: new Set([issuer.key.keyId]) };
    expect(grantRefusal(signed, grant, revoked, now)).toMatch(/revoked/);
    const other = { ...grant, orgId: 8, product: 'KSE' as const };
    expect(
      grantRefusal(signGrant(issuer.key, issuer.certificate, other), other, trust, now),
    ).toMatch(/does not cover organisation 8/);
    expect(grantRefusal(signed, grant, trust, now + 400 * 86_400_000)).toMatch(/expired on/);
  });
});
