import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  available,
  DAY_MS,
  grantRefusal,
  offlineExpiry,
  offlineRefusal,
  resumeRefusal,
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

describe('the outage grace', () => {
  it('a lapsed session resumes within the grace past its lease, never after it', () => {
    fc.assert(
      fc.property(fc.nat(120), fc.nat(3 * 3_600_000), (grace, late) => {
        const refusal = resumeRefusal(grace, NOW, NOW + late);
        expect(refusal === null).toBe(late <= grace * 60_000);
        if (refusal) expect(refusal.code).toBe('SESSION_EXPIRED');
      }),
    );
    expect(resumeRefusal(0, NOW, NOW)).toBeNull();
    expect(resumeRefusal(0, NOW, NOW + 1)?.message).toContain('outage grace (0 minutes');
  });
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

  it('a full pool says what holds its licenses, in the singular for one', () => {
    const full = (activeSessions: number, unexpiredOfflineLicenses: number) =>
      grantRefusal(
        pool({ quota: activeSessions + unexpiredOfflineLicenses }),
        { activeSessions, unexpiredOfflineLicenses, registeredMachines: 0 },
        NOW,
        true,
      )?.message;
    expect(full(1, 0)).toContain('(1 online session, 0 offline licenses)');
    expect(full(2, 1)).toContain('(2 online sessions, 1 offline license)');
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

  it('throttles the failures of an address after 10 in a minute, and forgets after the window', () => {
    const t = createThrottle(10, 60_000);
    for (let i = 0; i < 10; i++) expect(t.failed('1.2.3.4', NOW + i)).toBe(0);
    expect(t.failed('1.2.3.4', NOW + 10)).toBeGreaterThan(0);
    expect(t.failed('5.6.7.8', NOW + 11)).toBe(0);
    expect(t.failed('1.2.3.4', NOW + 60_011)).toBe(0);
  });

  it('counts an attempt before it is checked: 10 in flight hold the 11th back; one that passed is forgiven', () => {
    const t = createThrottle(10, 60_000);
    const inFlight = Array.from({ length: 10 }, (_, i) => t.attempt('sign-in:a', NOW + i));
    expect(inFlight.map((a) => a.wait)).toEqual(Array(10).fill(0));
    expect(t.attempt('sign-in:a', NOW + 10).wait).toBeGreaterThan(0);
    const u = createThrottle(10, 60_000);
    for (let i = 0; i < 20; i++) u.attempt('sign-in:b', NOW + i).passed();
    expect(u.attempt('sign-in:b', NOW + 20).wait).toBe(0);
  });

  it('keeps a bounded table: 120,000 guessing addresses hold at most its size', () => {
    const t = createThrottle(10, 60_000, 10_000);
    for (let i = 0; i < 120_000; i++) t.failed(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, NOW);
    expect(t.size).toBe(10_000);
  });
});

describe('license retry in Katalon units (injected clock)', () => {
  it('a 3-minute interval waits 3 minutes; it gives up at the max duration; jitter stays within bounds', async () => {
    const { withLicenseRetry } = await import('../../src/client/retry.ts');
    const { fail } = await import('../../src/core/errors.ts');
    let now = 0;
    const waits: number[] = [];
    const clock = {
      now: () => now,
      sleep: (ms: number) => {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
      random: () => 0.5,
      minuteMs: 60_000,
    };
    const lines: string[] = [];
    const attempt = () => Promise.reject(fail('QUOTA_EXCEEDED', 'all 2 KRE licenses are in use'));
    await expect(
      withLicenseRetry(
        attempt,
        { enabled: true, maxDurationMin: 10, intervalMin: 3, maxJitterMin: 1 },
        (l) => lines.push(l),
        clock,
      ),
    ).rejects.toThrow(/gave up after 3 tries/);
    expect(waits).toEqual([210_000, 210_000]); // 3 minutes + half of the 1-minute jitter
    expect(lines[0]).toMatch(/retrying in 210\.0 s \(try 1; 600\.0 s left\)/);
    expect(lines).toHaveLength(2);
  });

  it('disabled: fails at once and says how to wait', async () => {
    const { withLicenseRetry } = await import('../../src/client/retry.ts');
    const { fail } = await import('../../src/core/errors.ts');
    const attempt = () => Promise.reject(fail('ALL_LICENSES_IN_USE', 'all 1 in use'));
    await expect(
      withLicenseRetry(
        attempt,
        { enabled: false, maxDurationMin: 20, intervalMin: 5, maxJitterMin: 2 },
        () => {},
      ),
    ).rejects.toThrow(/add -enableLicenseRetry=true to wait/);
  });

  it("Katalon's limits: interval at least 3 and at most the duration, jitter at most the interval", async () => {
    const { checkRetryPolicy, DEFAULT_RETRY } = await import('../../src/core/retry.ts');
    const names = {
      duration: '-licenseRetryMaxDuration',
      interval: '-licenseRetryInterval',
      jitter: '-licenseRetryMaxJitter',
    };
    expect(checkRetryPolicy(DEFAULT_RETRY, names)).toEqual({
      enabled: true,
      maxDurationMin: 20,
      intervalMin: 5,
      maxJitterMin: 2,
    });
    expect(() => checkRetryPolicy({ ...DEFAULT_RETRY, intervalMin: 2 }, names)).toThrow(
      /-licenseRetryInterval must be at least 3/,
    );
    expect(() => checkRetryPolicy({ ...DEFAULT_RETRY, intervalMin: 30 }, names)).toThrow(
      /must not exceed -licenseRetryMaxDuration/,
    );
    expect(() => checkRetryPolicy({ ...DEFAULT_RETRY, maxJitterMin: 6 }, names)).toThrow(
      /-licenseRetryMaxJitter .* must not exceed -licenseRetryInterval/,
    );
  });
});
