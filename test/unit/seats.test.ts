// The pure seat rules: an offline license's number must lie in its certificate's range, the seat it
// holds on a machine is (certificate, number), a folder counts seats rather than files, and a server
// gives the lowest free number. Also: an older certificate never replaces a newer one.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { distinctSeats, lowestFreeSeat, seatKeyOf } from '../../src/core/license/seats.ts';
import {
  olderCertificate,
  outsideCertificate,
  type IssuerCertificate,
} from '../../src/core/license/certificate.ts';

const certificate = (over: Partial<IssuerCertificate> = {}): IssuerCertificate => ({
  kind: 'issuer',
  id: randomUUID(),
  keyId: '0123456789abcdef',
  publicKey: 'ed25519:x',
  orgs: ['*'],
  products: ['KRE'],
  maxLicenses: 3,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  ...over,
});
const license = { orgId: '1', product: 'KRE' as const, issuedAt: '2026-02-01T00:00:00.000Z' };
const within = { ...license, expiresAt: '2026-03-01T00:00:00.000Z' };

describe('a seat number must be in its certificate range', () => {
  it('an offline license is inside its certificate only with 1 <= seat <= maxLicenses', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.integer({ min: -5, max: 10_005 }), (max, seat) => {
        const c = certificate({ maxLicenses: max });
        const why = outsideCertificate(c, { ...within, kind: 'offline', seat });
        expect(why === null).toBe(seat >= 1 && seat <= max);
        if (why) expect(why).toContain(`1 to ${max}`);
      }),
    );
  });

  it('an offline license without a number is outside; a testing license needs none', () => {
    const c = certificate();
    expect(outsideCertificate(c, { ...within, kind: 'offline' })).toMatch(/no seat number/);
    expect(outsideCertificate(c, { ...within, kind: 'testing' })).toBeNull();
  });
});

describe('seatKeyOf: the seat a license holds on a machine', () => {
  it('is the certificate and the number, whatever else the license says', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.uuid(),
        fc.integer({ min: 1, max: 1e9 }),
        fc.nat(1e9),
        (a, b, n, m) => {
          expect(seatKeyOf({ certificateId: a, seat: n })).toBe(
            seatKeyOf({ certificateId: a, seat: n }),
          );
          expect(
            seatKeyOf({ certificateId: a, seat: n }) === seatKeyOf({ certificateId: a, seat: m }),
          ).toBe(n === m);
          expect(
            seatKeyOf({ certificateId: a, seat: n }) === seatKeyOf({ certificateId: b, seat: n }),
          ).toBe(a === b);
        },
      ),
    );
  });

  it('is a safe, short file and pipe name for any certificate id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), fc.integer({ min: 1, max: 1e9 }), (id, n) => {
        const key = seatKeyOf({ certificateId: id, seat: n });
        expect(key).toMatch(/^seat-[A-Za-z0-9_-]*-\d+$/);
        expect(key.length).toBeLessThanOrEqual(80);
      }),
    );
  });
});

describe('a folder counts seats, not files', () => {
  const holder = fc.record({
    certificateId: fc.constantFrom('c1', 'c2', 'c3'),
    seat: fc.integer({ min: 1, max: 5 }),
    file: fc.string(),
  });

  it('one license per seat, the first of each; every other one names the one it yields to', () => {
    fc.assert(
      fc.property(fc.array(holder, { maxLength: 60 }), (licenses) => {
        const { seats, shadowed } = distinctSeats(licenses);
        const keys = seats.map(seatKeyOf);
        expect(new Set(keys).size).toBe(seats.length);
        expect(seats.length).toBe(new Set(licenses.map(seatKeyOf)).size);
        expect(seats.length + shadowed.length).toBe(licenses.length);
        for (const { license, by } of shadowed) {
          expect(seatKeyOf(by)).toBe(seatKeyOf(license));
          expect(seats).toContain(by);
          expect(licenses.indexOf(by)).toBeLessThan(licenses.indexOf(license));
        }
      }),
    );
  });

  it('however many licenses one certificate signs, they hold at most maxLicenses seats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(200), (max, count) => {
        // Every number a katalonc accepts lies in 1..max (the range check above).
        const licenses = Array.from({ length: count }, (_, i) => ({
          certificateId: 'c',
          seat: (i % max) + 1,
        }));
        expect(distinctSeats(licenses).seats.length).toBe(Math.min(count, max));
      }),
    );
  });
});

describe('the server gives the lowest free seat', () => {
  it('a number not held, every lower one held; null only when all are held', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 })), fc.nat(30), (held, max) => {
        const seat = lowestFreeSeat(held, max);
        const taken = new Set(held);
        if (seat === null) {
          for (let n = 1; n <= max; n++) expect(taken.has(n)).toBe(true);
        } else {
          expect(seat).toBeGreaterThanOrEqual(1);
          expect(seat).toBeLessThanOrEqual(max);
          expect(taken.has(seat)).toBe(false);
          for (let n = 1; n < seat; n++) expect(taken.has(n)).toBe(true);
        }
      }),
    );
    expect(lowestFreeSeat([1, 3], 3)).toBe(2);
    expect(lowestFreeSeat([], 0)).toBeNull();
  });
});

describe('an older certificate never replaces a newer one', () => {
  it('for the same key, by issue time; another key is not compared', () => {
    const installed = certificate({ notBefore: '2026-06-01T00:00:00.000Z' });
    const older = certificate({ notBefore: '2026-01-01T00:00:00Z', maxLicenses: 500 });
    expect(olderCertificate(installed, older)).toMatch(/older certificate never replaces a newer/);
    expect(
      olderCertificate(installed, certificate({ notBefore: '2026-06-01T00:00:00Z' })),
    ).toBeNull();
    expect(
      olderCertificate(installed, certificate({ notBefore: '2026-07-01T00:00:00.000Z' })),
    ).toBeNull();
    expect(olderCertificate(installed, { ...older, keyId: 'fedcba9876543210' })).toBeNull();
  });
});
