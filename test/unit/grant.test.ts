// An online session's grants and heartbeats (core/license/grant.ts): katalonc runs on a session
// only when a server certified by a built-in root for its organisation and product signed exactly
// this session, machine, organisation, product, nonce and lease terms for katalonc's own X25519
// key, and takes a heartbeat's answer only under the lease key that grant delivered. Pure, against
// real keys and certificates; X25519 checked against tweetnacl.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHmac, createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import {
  acceptGrant,
  deliverLeaseKey,
  hmac,
  leaseKeyOf,
  leaseMac,
  leaseMacRefusal,
  newKeyExchange,
  signGrant,
  type KeyExchange,
  type LeaseTerms,
  type SessionGrant,
} from '../../src/core/license/grant.ts';
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
const secret = randomBytes(32);
const leaseKey = leaseKeyOf(secret, grant.sessionId);
const own = newKeyExchange();
const session = { own, orgId: 7, product: 'KRE' as const };
/** As the server signs it: the grant, with the lease key wrapped for `kx`. */
const sign = (g: SessionGrant, kx = own.publicKey, by = issuer) =>
  signGrant(by.key, by.certificate, {
    ...g,
    ...deliverLeaseKey(leaseKeyOf(secret, g.sessionId), kx, g),
  });
const signed = sign(grant);
const now = Date.now();
const refusal = (r: ReturnType<typeof acceptGrant>) => ('refused' in r ? r.refused : null);

/** An X25519 key pair made by tweetnacl, as node:crypto takes it. */
const naclKeyPair = (): KeyExchange & { secretKey: Uint8Array } => {
  const secretKey = nacl.randomBytes(32);
  const x = Buffer.from(nacl.scalarMult.base(secretKey)).toString('base64url');
  const d = Buffer.from(secretKey).toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', x, d }, format: 'jwk' });
  return { privateKey, publicKey: x, secretKey };
};

describe('a session grant', () => {
  it("is accepted for exactly what it grants, from a certified server, and delivers the session's lease key", () => {
    expect(acceptGrant(signed, grant, session, trust, now)).toEqual({ leaseKey });
  });

  it('is refused when absent, made up, or signed under a root katalonc does not trust', () => {
    expect(refusal(acceptGrant(undefined, grant, session, trust, now))).toMatch(/no signed grant/);
    expect(refusal(acceptGrant('trust me', grant, session, trust, now))).toMatch(
      /not a session grant/,
    );
    const mine = testIssuer({}, generateSigningKey().signingKey);
    expect(
      refusal(acceptGrant(sign(grant, own.publicKey, mine), grant, session, trust, now)),
    ).toMatch(/not a root this katalonc trusts/);
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
          expect(refusal(acceptGrant(signed, other as SessionGrant, session, trust, now))).toMatch(
            new RegExp(`another ${field}`),
          );
        },
      ),
    );
    // A proxy that drops the subscription's end from the answer (to give a run its outage grace
    // past that end) is found too.
    expect(
      refusal(
        acceptGrant(signed, { ...grant, subscriptionExpiresAt: undefined }, session, trust, now),
      ),
    ).toMatch(/another subscriptionExpiresAt/);
  });

  it('is refused from a revoked key, or outside its certificate (organisation, product, dates)', () => {
    const revoked = { roots, revokedKeyIds: new Set([issuer.key.keyId]) };
    expect(refusal(acceptGrant(signed, grant, session, revoked, now))).toMatch(/revoked/);
    const other = { ...grant, orgId: 8, product: 'KSE' as const };
    const elsewhere = { own, orgId: 8, product: 'KSE' as const };
    expect(refusal(acceptGrant(sign(other), other, elsewhere, trust, now))).toMatch(
      /does not cover organisation 8/,
    );
    expect(refusal(acceptGrant(signed, grant, session, trust, now + 400 * 86_400_000))).toMatch(
      /expired on/,
    );
  });

  it("a resume's lease grant is refused from a server certified for another organisation (a second certified server renewing another's session)", () => {
    const lease: LeaseTerms = { ...grant, kind: 'lease' };
    const forOther = testIssuer({ orgs: ['8'], products: ['KRE'] });
    expect(acceptGrant(sign(lease), lease, session, trust, now)).toEqual({ leaseKey });
    expect(
      refusal(acceptGrant(sign(lease, own.publicKey, forOther), lease, session, trust, now)),
    ).toMatch(/does not cover organisation 7/);
  });

  it('is refused when its lease key was wrapped for another key than katalonc’s (a proxy that put its own kx in the request)', () => {
    const proxy = newKeyExchange();
    expect(refusal(acceptGrant(sign(grant, proxy.publicKey), grant, session, trust, now))).toMatch(
      /another kx/,
    );
    // Nor does the proxy's own key unwrap what was wrapped for katalonc's.
    const theirs = acceptGrant(signed, grant, { ...session, own: proxy }, trust, now);
    expect(refusal(theirs)).toMatch(/another kx/);
  });

  it('is refused when it delivers no lease key', () => {
    expect(
      refusal(
        acceptGrant(
          signGrant(issuer.key, issuer.certificate, { ...grant, kx: own.publicKey }),
          grant,
          session,
          trust,
          now,
        ),
      ),
    ).toMatch(/delivers no lease key/);
  });
});

describe("a session's lease key", () => {
  it('is unwrapped by tweetnacl X25519 as the server wrapped it, and katalonc unwraps what a tweetnacl key pair wrapped', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.stringMatching(/^[0-9a-f]{16,64}$/), (sessionId, nonce) => {
        const key = leaseKeyOf(secret, sessionId);
        // katalonc's key by tweetnacl: the pad from nacl.scalarMult and HKDF, as the design says.
        const katalonc = naclKeyPair();
        const d = deliverLeaseKey(key, katalonc.publicKey, { nonce, sessionId })!;
        const shared = nacl.scalarMult(katalonc.secretKey, Buffer.from(d.ex, 'base64url'));
        const pad = Buffer.from(
          hkdfSync('sha256', shared, nonce, `katalonc lease key wrap v1\0${sessionId}`, 32),
        );
        const wrapped = Buffer.from(d.wrappedKey, 'base64url');
        expect(Buffer.from(wrapped.map((b, i) => b ^ pad[i]))).toEqual(key);
        // The server's ephemeral key by tweetnacl, katalonc's by node:crypto.
        const g = { ...grant, sessionId, nonce };
        const text = signGrant(issuer.key, issuer.certificate, {
          ...g,
          ...deliverLeaseKey(key, own.publicKey, g, naclKeyPair()),
        });
        expect(acceptGrant(text, g, session, trust, now)).toEqual({ leaseKey: key });
      }),
      { numRuns: 20 },
    );
  });

  it('differs per session and per server secret, and is not wrapped for a key that is not one (a low-order point)', () => {
    expect(leaseKeyOf(secret, 'a')).not.toEqual(leaseKeyOf(secret, 'b'));
    expect(leaseKeyOf(randomBytes(32), 'a')).not.toEqual(leaseKeyOf(secret, 'a'));
    expect(deliverLeaseKey(leaseKey, Buffer.alloc(32).toString('base64url'), grant)).toBeNull();
    expect(deliverLeaseKey(leaseKey, 'not a key', grant)).toBeNull();
  });
});

describe("a heartbeat's MAC", () => {
  it("is HMAC-SHA256, as node:crypto's createHmac makes it, for keys of any length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string(), (key, text) => {
        expect(hmac(key, text)).toEqual(createHmac('sha256', key).update(text).digest());
      }),
    );
  });

  const terms: LeaseTerms = {
    kind: 'lease',
    sessionId: grant.sessionId,
    nonce: grant.nonce,
    leaseExpiresAt: grant.leaseExpiresAt,
    heartbeatIntervalSeconds: 20,
    subscriptionExpiresAt: grant.subscriptionExpiresAt,
  };
  const mac = leaseMac(leaseKey, terms);

  it("is accepted under the session's lease key for exactly its nonce and terms", () => {
    expect(leaseMacRefusal(mac, leaseKey, terms)).toBeNull();
    expect(leaseMacRefusal(undefined, leaseKey, terms)).toMatch(/no proof/);
  });

  it('is refused under any other key (another session, another server secret), for any changed field, or when changed itself', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          // Another session's key, or the same session's on a server with another secret.
          fc.uuid().map((id) => ({ key: leaseKeyOf(secret, id), terms })),
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map((s) => ({
            key: leaseKeyOf(s, terms.sessionId),
            terms,
          })),
          fc
            .record({
              field: fc.constantFrom(
                'sessionId',
                'nonce',
                'leaseExpiresAt',
                'subscriptionExpiresAt',
              ),
              value: fc.string(),
            })
            .map(({ field, value }) => ({
              key: leaseKey,
              terms: { ...terms, [field]: `${value}x` },
            })),
          fc.integer().map((n) => ({
            key: leaseKey,
            terms: { ...terms, heartbeatIntervalSeconds: n === 20 ? 21 : n },
          })),
          // A proxy that drops the subscription's end (for the outage grace past it).
          fc.constant({ key: leaseKey, terms: { ...terms, subscriptionExpiresAt: undefined } }),
        ),
        ({ key, terms: other }) => {
          expect(leaseMacRefusal(mac, key, other)).toMatch(/not under the session's lease key/);
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), (other) => {
        fc.pre(other !== mac);
        expect(leaseMacRefusal(other, leaseKey, terms)).not.toBeNull();
      }),
    );
  });
});
