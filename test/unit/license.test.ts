import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { execFileSync } from 'node:child_process';
import { verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dearmorLicense as dearmor, signLicense } from '../../src/core/license/format.ts';
import { parsePublicKey } from '../../src/core/license/keys.ts';
import { armor, LICENSE, signBlock } from '../../src/core/license/armor.ts';
import { validateLicense, type ValidationContext } from '../../src/core/license/validate.ts';
import { advanceMark, isRolledBack } from '../../src/core/license/clock.ts';
import { makeLicense, testIssuer } from '../helpers/licenses.ts';
import { devRootKey } from '../../scripts/dev-root.ts';
import { generateSigningKey } from '../../src/core/license/keys.ts';
import { readRevocationList, revoke } from '../../src/core/license/certificate.ts';
import { installed, missing, requireAll } from '../helpers/network.ts';
import { tempDir } from '../helpers/cli.ts';

const issuer = testIssuer();
const key = issuer.key;
const root = devRootKey();
const MACHINE = 'FYD30-WWAV1-QD45F-RDW0N';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ctx = (over: Partial<ValidationContext> = {}): ValidationContext => ({
  roots: new Map([[root.keyId, root.publicKey]]),
  revokedKeyIds: new Set(),
  machineId: MACHINE,
  product: 'KRE',
  now: Date.now(),
  highWaterMark: null,
  ...over,
});
const license = makeLicense(issuer, { machineId: MACHINE });
// A format 2 license as a server signed it before seat numbers: no seat, the old version.
const formatTwo = armor({
  ...signBlock(
    LICENSE,
    2,
    {
      v: 2,
      kid: key.keyId,
      id: 'old-format',
      product: 'KRE',
      kind: 'offline',
      orgId: 'org-1',
      orgName: 'Acme QA',
      machineId: MACHINE,
      issuedAt: new Date(Date.now() - DAY).toISOString(),
      expiresAt: new Date(Date.now() + DAY).toISOString(),
      certificateId: issuer.fields.id,
    },
    key,
  ),
  issuer: issuer.certificate,
});

describe('license signatures are standard Ed25519', () => {
  const armored = dearmor(license);
  if (!armored.ok) throw new Error('fixture');
  const raw = Buffer.from(key.publicKey.text.slice('ed25519:'.length), 'base64url');

  it('tweetnacl verifies our signature and rejects an altered payload', () => {
    const { payload, signature } = armored.document;
    expect(nacl.sign.detached.verify(payload, signature, raw)).toBe(true);
    const altered = Uint8Array.from(payload);
    altered[10] ^= 1;
    expect(nacl.sign.detached.verify(altered, signature, raw)).toBe(false);
  });

  it.runIf(installed('openssl') || requireAll)(
    `openssl pkeyutl verifies our signature and rejects an altered one${installed('openssl') ? '' : ` (skipped: ${missing('openssl', 'openssl')})`}`,
    () => {
      const dir = tempDir();
      const pub = join(dir, 'pub.pem');
      writeFileSync(pub, key.publicKey.key.export({ type: 'spki', format: 'pem' }));
      writeFileSync(join(dir, 'payload'), armored.document.payload);
      writeFileSync(join(dir, 'sig'), armored.document.signature);
      const verify = () =>
        execFileSync(
          'openssl',
          [
            'pkeyutl',
            '-verify',
            '-pubin',
            '-inkey',
            pub,
            '-rawin',
            '-in',
            join(dir, 'payload'),
            '-sigfile',
            join(dir, 'sig'),
          ],
          { stdio: 'pipe' },
        ).toString();
      expect(verify()).toMatch(/Signature Verified Successfully/);
      const bad = Buffer.from(armored.document.signature);
      bad[0] ^= 0x80;
      writeFileSync(join(dir, 'sig'), bad);
      expect(verify).toThrow();
    },
  );

  it('a tweetnacl signature over our payload verifies with our code (keys are interchangeable)', () => {
    const pair = nacl.sign.keyPair();
    const pk = parsePublicKey(`ed25519:${Buffer.from(pair.publicKey).toString('base64url')}`)!;
    const sig = nacl.sign.detached(armored.document.payload, pair.secretKey);
    expect(verify(null, armored.document.payload, pk.key, sig)).toBe(true);
  });
});

describe('public key text form', () => {
  it('round-trips and rejects near misses', () => {
    expect(parsePublicKey(key.publicKey.text)?.keyId).toBe(key.keyId);
    expect(parsePublicKey(` ${key.publicKey.text}\n`)?.keyId).toBe(key.keyId);
    expect(parsePublicKey(key.publicKey.text.slice(0, -1))).toBeNull();
    expect(parsePublicKey(key.publicKey.text.replace('ed25519:', 'rsa:'))).toBeNull();
    expect(parsePublicKey('ed25519:')).toBeNull();
  });
});

describe('validation gives exactly one status', () => {
  const cases: [string, string, Partial<ValidationContext>][] = [
    ['valid', license, {}],
    ['testing', makeLicense(issuer, { machineId: MACHINE, kind: 'testing' }), {}],
    [
      'expired',
      makeLicense(issuer, {
        machineId: MACHINE,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      }),
      {},
    ],
    [
      'not-yet-valid',
      makeLicense(issuer, {
        machineId: MACHINE,
        issuedAt: new Date(Date.now() + 2 * HOUR).toISOString(),
      }),
      {},
    ],
    ['wrong-machine', makeLicense(issuer, { machineId: 'KEHM5-0M4KF-T8BVZ-ZNVZE' }), {}],
    ['wrong-product', makeLicense(issuer, { machineId: MACHINE, product: 'KSE' }), {}],
    // A licensee's own root, certifying their own key: not a root this katalonc trusts.
    [
      'unknown-key',
      makeLicense(testIssuer({}, generateSigningKey().signingKey), { machineId: MACHINE }),
      {},
    ],
    ['revoked', license, { revokedKeyIds: new Set([key.keyId]) }],
    [
      'outside-certificate',
      makeLicense(testIssuer({ orgs: ['org-2'] }), { machineId: MACHINE }),
      {},
    ],
    [
      'outside-certificate',
      makeLicense(testIssuer({ products: ['KSE'] }), { machineId: MACHINE }),
      {},
    ],
    [
      'outside-certificate',
      makeLicense(testIssuer({ notAfter: new Date(Date.now() + DAY).toISOString() }), {
        machineId: MACHINE,
      }),
      {},
    ],
    [
      'tampered',
      license.replace(
        /^([A-Za-z0-9+/]{10})([A-Za-z0-9+/])/m,
        (_m, a: string, b: string) => a + (b === 'A' ? 'B' : 'A'),
      ),
      {},
    ],
    ['malformed', 'hello', {}],
    ['unsupported-version', license.replace('Version: 3', 'Version: 4'), {}],
    ['old-format', license.replace('Version: 3', 'Version: 1'), {}],
    // Format 2 had no seat number: refused even when genuinely signed (the attack it allowed).
    ['old-format', formatTwo, {}],
    // The certificate's maxLicenses is its seats: 1 to maxLicenses, and an offline license names one.
    ['outside-certificate', makeLicense(issuer, { machineId: MACHINE, seat: 0 }), {}],
    ['outside-certificate', makeLicense(issuer, { machineId: MACHINE, seat: 1001 }), {}],
    ['outside-certificate', makeLicense(issuer, { machineId: MACHINE, seat: undefined }), {}],
    ['valid', makeLicense(issuer, { machineId: MACHINE, seat: 1000 }), {}],
    ['malformed', makeLicense(issuer, { machineId: MACHINE, seat: 1.5 }), {}],
    ['clock-rollback', license, { highWaterMark: Date.now() + 2 * HOUR }],
  ];
  it.each(cases)('%s', (status, text, over) => {
    const v = validateLicense(text, ctx(over));
    expect(v.status).toBe(status);
    expect(v.message.length).toBeGreaterThan(10);
  });

  it('a format 2 license, genuinely signed, is refused for having no seat number', () => {
    expect(validateLicense(formatTwo, ctx()).message).toMatch(
      new RegExp(
        `old license format \\(2, with no seat number\\).*re-issue it from the upgraded license server \\("offline create --replace"\\) for this machine, ID ${MACHINE}$`,
      ),
    );
  });

  it('shows both machine IDs for wrong-machine', () => {
    const v = validateLicense(makeLicense(issuer, { machineId: 'KEHM5-0M4KF-T8BVZ-ZNVZE' }), ctx());
    expect(v.message).toContain('KEHM5-0M4KF-T8BVZ-ZNVZE');
    expect(v.message).toContain(MACHINE);
  });

  it('survives CRLF line ends and a lost final newline (e-mail, copy-paste)', () => {
    expect(validateLicense(license.replaceAll('\n', '\r\n'), ctx()).status).toBe('valid');
    expect(validateLicense(license.slice(0, -1), ctx()).status).toBe('valid');
  });

  it('allows an hour of clock drift behind the mark, not more', () => {
    expect(validateLicense(license, ctx({ highWaterMark: Date.now() + 50 * 60_000 })).status).toBe(
      'valid',
    );
    expect(isRolledBack(1000, 1000 + HOUR + 1)).toBe(true);
    expect(isRolledBack(1000, 1000 + HOUR)).toBe(false);
  });

  it('the clock mark never goes down and takes issue times into account', () => {
    fc.assert(
      fc.property(fc.option(fc.nat()), fc.nat(), fc.array(fc.nat()), (mark, now, issued) => {
        const next = advanceMark(mark, now, issued);
        expect(next).toBeGreaterThanOrEqual(mark ?? 0);
        for (const t of issued) expect(next).toBeGreaterThanOrEqual(t);
      }),
    );
    expect(advanceMark(10 * DAY, 5 * DAY, [])).toBe(10 * DAY); // a rolled-back clock does not lower it
  });
});

describe('any change makes a license non-valid', () => {
  it('every single-byte change of a valid file (payload, signature, armor)', () => {
    const bytes = Buffer.from(license, 'latin1');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = Buffer.from(bytes);
        changed[at] = (changed[at] + delta) % 256;
        expect(validateLicense(changed.toString('latin1'), ctx()).status).not.toBe('valid');
      }),
      { numRuns: 5000 },
    );
  });

  it('exhaustively: every position changed to every printable character', () => {
    let checked = 0;
    for (let at = 0; at < license.length; at++) {
      for (let c = 0x20; c < 0x7f; c += 7) {
        const ch = String.fromCharCode(c);
        if (ch === license[at]) continue;
        expect(
          validateLicense(license.slice(0, at) + ch + license.slice(at + 1), ctx()).status,
        ).not.toBe('valid');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('fuzz: 10,000 random and mutated inputs never throw and never yield valid', () => {
    const mutated = fc
      .tuple(
        fc.constant(license),
        fc.array(fc.tuple(fc.nat(license.length), fc.nat(3), fc.string({ maxLength: 4 })), {
          minLength: 1,
          maxLength: 6,
        }),
      )
      .map(([text, edits]) =>
        edits.reduce(
          (t, [at, kind, s]) =>
            kind === 0
              ? t.slice(0, at) + s + t.slice(at)
              : kind === 1
                ? t.slice(0, at) + t.slice(at + 1 + s.length)
                : kind === 2
                  ? t.slice(0, at) + s + t.slice(at + s.length)
                  : t.slice(0, at) + t.slice(at).split('\n').reverse().join('\n'),
          text,
        ),
      );
    const random = fc.oneof(
      fc.string({ maxLength: 2000 }),
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('latin1')),
      mutated,
      mutated,
    );
    let runs = 0;
    fc.assert(
      fc.property(random, (text) => {
        runs++;
        const v = validateLicense(text, ctx());
        if (
          text !== license &&
          text !== license.slice(0, -1) &&
          text !== license.replaceAll('\n', '\r\n')
        )
          expect(v.status).not.toBe('valid');
      }),
      { numRuns: 10_000 },
    );
    expect(runs).toBe(10_000);
  });

  it('a re-signed license fails unless a built-in root certified the signer', () => {
    const fields = {
      id: 'x',
      product: 'KRE' as const,
      kind: 'offline' as const,
      orgId: 'o',
      orgName: 'O',
      machineId: MACHINE,
      issuedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + DAY).toISOString(),
      certificateId: issuer.fields.id,
    };
    // Another key with the genuine certificate attached: the certificate names another key.
    const stolenCertificate = signLicense(
      fields,
      generateSigningKey().signingKey,
      issuer.certificate,
    );
    expect(validateLicense(stolenCertificate, ctx()).status).toBe('tampered');
    // A whole chain of the licensee's own making.
    const own = testIssuer({}, generateSigningKey().signingKey);
    const forged = signLicense(
      { ...fields, certificateId: own.fields.id },
      own.key,
      own.certificate,
    );
    expect(validateLicense(forged, ctx()).status).toBe('unknown-key');
  });

  it('a revocation list counts only if a root signed it', () => {
    const list = revoke(root, {
      id: 'r1',
      issuedAt: new Date().toISOString(),
      revokedKeyIds: [key.keyId],
    });
    const roots = new Map([[root.keyId, root.publicKey]]);
    expect(readRevocationList(list, roots)?.revokedKeyIds).toEqual([key.keyId]);
    const own = revoke(generateSigningKey().signingKey, {
      id: 'r2',
      issuedAt: new Date().toISOString(),
      revokedKeyIds: ['x'],
    });
    expect(readRevocationList(own, roots)).toBeNull();
    expect(readRevocationList(list.replace('Version: 1', 'Version: 1 '), roots)).toBeNull();
  });
});
