import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  available,
  DAY_MS,
  grantRefusal,
  offlineExpiry,
  offlineRefusal,
  type Pool,
} from '../../src/core/quota.ts';
import { createThrottle } from '../../src/server/auth-throttle.ts';

const NOW = Date.UTC(2026, 10, 23);
const pool = (over: Partial<Pool> = {}): Pool => ({
  product: 'KRE',
  model: 'node-locked',
  billing: 'yearly',
  quota: 5,
  machineQuota: 3,
  expiresAt: NOW + 365 * DAY_MS,
  ...over,
});

describe('quota rules', () => {
  it('available = quota − (offline + active online), never negative', () => {
    expect(
      available(pool(), { activeSessions: 2, unexpiredOfflineLicenses: 1, registeredMachines: 0 }),
    ).toBe(2);
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.nat(100), (quota, s, o) => {
        const a = available(pool({ quota }), {
          activeSessions: s,
          unexpiredOfflineLicenses: o,
          registeredMachines: 0,
        });
        expect(a).toBe(Math.max(0, quota - s - o));
      }),
    );
  });

  it('grants exactly while something is available and the machine fits (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(20),
        fc.nat(20),
        fc.nat(20),
        fc.nat(20),
        fc.nat(20),
        fc.boolean(),
        fc.constantFrom('node-locked', 'floating'),
        (quota, machineQuota, s, o, m, registered, model) => {
          const p = pool({ quota, machineQuota, model: model });
          const refusal = grantRefusal(
            p,
            { activeSessions: s, unexpiredOfflineLicenses: o, registeredMachines: m },
            NOW,
            registered,
          );
          const machineFull = model === 'node-locked' && !registered && m >= machineQuota;
          const quotaFull = s + o >= quota;
          expect(refusal?.code ?? null).toBe(
            machineFull ? 'MACHINE_QUOTA_EXCEEDED' : quotaFull ? 'QUOTA_EXCEEDED' : null,
          );
        },
      ),
    );
  });

  it('refuses everything once the subscription has expired', () => {
    expect(
      grantRefusal(
        pool({ expiresAt: NOW }),
        { activeSessions: 0, unexpiredOfflineLicenses: 0, registeredMachines: 0 },
        NOW,
        true,
      )?.code,
    ).toBe('SUBSCRIPTION_EXPIRED');
  });

  it('only node-locked yearly pools issue offline licenses', () => {
    expect(offlineRefusal(pool())).toBeNull();
    expect(offlineRefusal(pool({ billing: 'monthly' }))?.code).toBe('LICENSE_REFUSED');
    expect(offlineRefusal(pool({ model: 'floating' }))?.code).toBe('LICENSE_REFUSED');
  });

  it('offline licenses last 60 days, less if asked, never past the subscription', () => {
    expect(offlineExpiry(pool(), NOW, false)).toBe(NOW + 60 * DAY_MS);
    expect(offlineExpiry(pool(), NOW, false, NOW + 10 * DAY_MS)).toBe(NOW + 10 * DAY_MS);
    expect(offlineExpiry(pool(), NOW, false, NOW + 90 * DAY_MS)).toBe(NOW + 60 * DAY_MS);
    expect(offlineExpiry(pool({ expiresAt: NOW + 5 * DAY_MS }), NOW, false)).toBe(NOW + 5 * DAY_MS);
    expect(offlineExpiry(pool(), NOW, true)).toBe(NOW + DAY_MS);
  });

  it('throttles an address after 10 failures in a minute, and forgets after the window', () => {
    const t = createThrottle(10, 60_000);
    for (let i = 0; i < 9; i++) t.failed('1.2.3.4', NOW + i);
    expect(t.retryAfter('1.2.3.4', NOW + 10)).toBe(0);
    t.failed('1.2.3.4', NOW + 10);
    expect(t.retryAfter('1.2.3.4', NOW + 11)).toBeGreaterThan(0);
    expect(t.retryAfter('5.6.7.8', NOW + 11)).toBe(0);
    expect(t.retryAfter('1.2.3.4', NOW + 60_011)).toBe(0);
  });
});
