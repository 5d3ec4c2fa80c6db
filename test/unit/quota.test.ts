import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  available,
  DAY_MS,
  grantRefusal,
  offlineExpiry,
  offlineRefusal,
  overQuotaNotes,
  resumeRefusal,
  cutOffRefusal,
  leaseEnd,
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

  it("a run cut off from the server stops at its subscription's end, within its grace or not", () => {
    fc.assert(
      fc.property(fc.nat(120), fc.integer({ min: -3_600_000, max: 3_600_000 }), (grace, end) => {
        const subscription = { product: 'KRE' as const, expiresAt: NOW + end };
        const late = NOW + 30_000;
        const refusal = cutOffRefusal(grace, NOW, subscription, late);
        if (late >= subscription.expiresAt) expect(refusal?.code).toBe('SUBSCRIPTION_EXPIRED');
        else expect(refusal).toEqual(resumeRefusal(grace, NOW, late));
      }),
    );
    // A server that does not say the end (older ones): the grace alone.
    expect(cutOffRefusal(5, NOW, undefined, NOW + 60_000)).toBeNull();
    expect(cutOffRefusal(5, NOW, pool({ expiresAt: NOW }), NOW)?.message).toBe(
      'the KRE subscription expired on 2026-11-23: ask your admin to renew it',
    );
  });
});

describe('a lease', () => {
  it("runs its length, never past its subscription's end", () => {
    fc.assert(
      fc.property(fc.nat(600_000), fc.integer({ min: -DAY_MS, max: DAY_MS }), (leaseMs, end) => {
        const lease = leaseEnd(NOW, leaseMs, pool({ expiresAt: NOW + end }));
        expect(lease).toBe(Math.min(NOW + leaseMs, NOW + end));
      }),
    );
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

  it('a quota or machine quota lowered below what is in use is told, exactly then (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.nat(20), { nil: undefined }),
        fc.option(fc.nat(20), { nil: undefined }),
        fc.nat(20),
        fc.nat(20),
        fc.nat(20),
        fc.nat(20),
        fc.constantFrom('node-locked', 'floating'),
        (quota, machineQuota, s, o, m, licensedUsers, model) => {
          const notes = overQuotaNotes(
            model,
            {
              ...(quota === undefined ? {} : { quota }),
              ...(machineQuota === undefined ? {} : { machineQuota }),
            },
            {
              activeSessions: s,
              unexpiredOfflineLicenses: o,
              registeredMachines: m,
              licensedUsers,
            },
          );
          const over = quota !== undefined && s + o > quota;
          const licensedOver = quota !== undefined && licensedUsers > quota;
          const machinesOver =
            machineQuota !== undefined && model === 'node-locked' && m > machineQuota;
          expect(notes).toHaveLength([over, licensedOver, machinesOver].filter(Boolean).length);
          expect(notes.some((n) => n.includes(`above the new quota ${quota}: they go on`))).toBe(
            over,
          );
          expect(notes.some((n) => n.includes('above the new machine quota'))).toBe(machinesOver);
        },
      ),
    );
    expect(
      overQuotaNotes(
        'node-locked',
        { quota: 2 },
        {
          activeSessions: 1,
          unexpiredOfflineLicenses: 2,
          registeredMachines: 9,
          licensedUsers: 0,
        },
      ),
    ).toEqual([
      '1 session and 2 offline licenses are in use, above the new quota 2: they go on; new ones are refused until fewer are in use',
    ]);
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

/** A retry clock whose time moves only when the loop sleeps (or `tick` moves it); `waits` logs each sleep. */
const fakeClock = (random: number) => {
  let now = 0;
  const waits: number[] = [];
  const tick = (ms: number) => (now += ms);
  const clock = {
    now: () => now,
    sleep: (ms: number) => {
      waits.push(ms);
      tick(ms);
      return Promise.resolve();
    },
    random: () => random,
    minuteMs: 60_000,
  };
  return { clock, waits, tick };
};

describe('license retry in Katalon units (injected clock)', () => {
  it('a 3-minute interval waits 3 minutes; it gives up at the max duration; jitter stays within bounds', async () => {
    const { withLicenseRetry } = await import('../../src/client/retry.ts');
    const { fail } = await import('../../src/core/errors.ts');
    const { clock, waits } = fakeClock(0.5);
    const lines: string[] = [];
    const attempt = () => Promise.reject(fail('QUOTA_EXCEEDED', 'all 2 KRE licenses are in use'));
    await expect(
      withLicenseRetry(
        attempt,
        { enabled: true, maxDurationMin: 10, intervalMin: 3, maxJitterMin: 1 },
        (l) => lines.push(l),
        clock,
      ),
    ).rejects.toThrow(/gave up after 4 tries/);
    // 3 minutes + half of the 1-minute jitter; the last try, due within the 10 minutes, at the end.
    expect(waits).toEqual([210_000, 210_000, 180_000]);
    expect(lines[0]).toMatch(/retrying in 210\.0 s \(try 1; 600\.0 s left\)/);
    expect(lines).toHaveLength(3);
  });

  it('a try due exactly at the end of the duration happens, though each try takes time', async () => {
    const { withLicenseRetry } = await import('../../src/client/retry.ts');
    const { fail } = await import('../../src/core/errors.ts');
    const { clock, tick } = fakeClock(0);
    const starts: number[] = [];
    const attempt = () => {
      starts.push(clock.now());
      tick(50); // the server's answer takes 50 ms
      return Promise.reject(fail('QUOTA_EXCEEDED', 'all 1 KRE licenses are in use'));
    };
    await expect(
      withLicenseRetry(
        attempt,
        { enabled: true, maxDurationMin: 3, intervalMin: 3, maxJitterMin: 0 },
        () => {},
        clock,
      ),
    ).rejects.toThrow(/gave up after 2 tries/);
    expect(starts).toEqual([0, 180_000]);
  });

  it('every try due within the duration happens, an interval or more apart, none after the end', async () => {
    const { nextRetryDelayMs } = await import('../../src/core/retry.ts');
    const minute = 60_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 30 }),
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.nat(10_000),
        (intervalMin, extra, jitterShare, random, tryMs) => {
          const policy = {
            enabled: true,
            intervalMin,
            maxDurationMin: intervalMin + extra,
            maxJitterMin: jitterShare * intervalMin,
          };
          const deadline = policy.maxDurationMin * minute;
          let triedAt = 0;
          for (;;) {
            const delay = nextRetryDelayMs(policy, 0, triedAt, triedAt + tryMs, random, minute);
            // None left only when the next would be due after the end.
            if (delay === null) {
              expect(triedAt + intervalMin * minute).toBeGreaterThan(deadline);
              return;
            }
            const next = triedAt + tryMs + delay;
            expect(next).toBeLessThanOrEqual(deadline);
            expect(next - triedAt).toBeGreaterThanOrEqual(intervalMin * minute);
            expect(next - triedAt).toBeLessThanOrEqual(
              (intervalMin + policy.maxJitterMin) * minute + 1,
            );
            triedAt = next;
          }
        },
      ),
    );
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
