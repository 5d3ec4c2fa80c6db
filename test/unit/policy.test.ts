// The one policy (core/roles.ts) as properties over every actor and action, and the service asking
// it for every operation that acts for someone: the route no longer decides.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  authorize,
  MAX_ACTIVE_API_KEYS,
  type Action,
  type PolicyActor,
} from '../../src/core/roles.ts';
import { ROLES, type Role } from '../../src/core/vocabulary.ts';
import { openDataDir } from '../../src/server/data-dir.ts';
import { actors } from '../../src/server/service/actor.ts';
import { createService } from '../../src/server/service/index.ts';
import { tempDir } from '../helpers/cli.ts';

const role = fc.constantFrom(...ROLES);
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constantFrom<Action>(
    { kind: 'manage-licenses' },
    { kind: 'terminate-session' },
    { kind: 'change-outage-grace' },
    { kind: 'change-subscription' },
    { kind: 'manage-people' },
    { kind: 'see-own-api-keys' },
    { kind: 'operate' },
  ),
  role.map((r): Action => ({ kind: 'invite', role: r })),
  role.map((r): Action => ({ kind: 'remove-member', role: r })),
  fc.tuple(role, role).map(([from, to]): Action => ({ kind: 'change-role', from, to })),
  fc.boolean().map((own): Action => ({ kind: 'make-api-key', own, active: 0 })),
);
const orgId = fc.integer({ min: 1, max: 1_000_000 });
const user = (r: Role | undefined): PolicyActor => ({ kind: 'user', role: r });
const may = (r: Role | undefined, a: Action, org = 1) => authorize(user(r), a, { orgId: org }).ok;
const touchesAnOwner = (a: Action) =>
  (a.kind === 'invite' && a.role === 'owner') ||
  (a.kind === 'remove-member' && a.role === 'owner') ||
  (a.kind === 'change-role' && (a.from === 'owner' || a.to === 'owner'));

describe('authorize', () => {
  it('the operator may do everything, in an organisation or across them', () => {
    fc.assert(
      fc.property(action, fc.option(orgId, { nil: undefined }), (a, org) => {
        expect(authorize({ kind: 'operator' }, a, { orgId: org })).toEqual({ ok: true });
      }),
    );
  });

  it('a user who is not a member finds no such organisation; no user acts across organisations', () => {
    fc.assert(
      fc.property(action, orgId, fc.option(role, { nil: undefined }), (a, org, r) => {
        if (a.kind !== 'operate')
          expect(authorize(user(undefined), a, { orgId: org })).toEqual({
            ok: false,
            code: 'NOT_FOUND',
            message: `no organisation ${org}`,
          });
        expect(authorize(user(r), a, { orgId: undefined })).toMatchObject({ code: 'FORBIDDEN' });
        expect(authorize(user(r), { kind: 'operate' }, { orgId: org })).toMatchObject({
          code: 'FORBIDDEN',
        });
      }),
    );
  });

  it("Members only see and make their own API keys; Admins all but what touches an Owner or the outage grace; Owners all but the subscription (the operator's)", () => {
    fc.assert(
      fc.property(action, (a) => {
        const operate = a.kind === 'operate' || a.kind === 'change-subscription';
        const own = a.kind === 'see-own-api-keys' || (a.kind === 'make-api-key' && a.own === true);
        expect(may('member', a)).toBe(own);
        expect(may('admin', a)).toBe(
          !operate &&
            !touchesAnOwner(a) &&
            a.kind !== 'change-outage-grace' &&
            !(a.kind === 'make-api-key' && !a.own),
        );
        expect(may('owner', a)).toBe(!operate && !(a.kind === 'make-api-key' && !a.own));
      }),
    );
  });

  it('a console user holds at most MAX_ACTIVE_API_KEYS unrevoked keys, whatever their role (all fit their page); the operator is not held to it', () => {
    fc.assert(
      fc.property(role, fc.integer({ min: 0, max: 1000 }), (r, active) => {
        const a: Action = { kind: 'make-api-key', own: true, active };
        expect(may(r, a)).toBe(active < MAX_ACTIVE_API_KEYS);
        expect(authorize({ kind: 'operator' }, a, { orgId: 1 }).ok).toBe(true);
      }),
    );
  });

  it('a higher role may do whatever a lower one may; every refusal is a 403 or 404 with a message', () => {
    fc.assert(
      fc.property(action, role, role, (a, high, low) => {
        if (ROLES.indexOf(high) <= ROLES.indexOf(low) && may(low, a))
          expect(may(high, a)).toBe(true);
        const d = authorize(user(low), a, { orgId: 7 });
        if (!d.ok) expect(d.message.length).toBeGreaterThan(10);
      }),
    );
  });
});

describe('the service asks the policy', () => {
  it("a Member cannot grant, withdraw, remove a machine, issue an offline license or see the audit log, whatever the route does; an Owner cannot change the pool's subscription", async () => {
    const { store, issuer } = await openDataDir(tempDir('kls-policy-'));
    const s = createService(store, issuer);
    const org = (await s.createOrg('Acme')).id;
    await s.createPool({
      orgId: org,
      product: 'KSE',
      model: 'floating',
      billing: 'yearly',
      quota: 2,
      machineQuota: 2,
      expiresAt: Date.now() + 86_400_000 * 30,
    });
    /** A console user who joined with `role`, and how to act as them. */
    const joined = async (email: string, role: Role) => {
      await s.acceptInvitation(
        (await s.invite({ orgId: org, email, role })).token,
        'correct-horse-battery-staple',
      );
      const user = (await s.signedIn(
        (await s.signIn(email, 'correct-horse-battery-staple')).token,
      ))!.user;
      return {
        user,
        as: <T>(run: () => Promise<T>) => actors.run({ who: email, from: 'test', user }, run),
      };
    };
    const { user: member, as: asMember } = await joined('m@acme.test', 'member');
    const refused = {
      code: 'FORBIDDEN',
      message: 'only Owners and Admins of the organisation manage its licenses',
    };
    await expect(
      asMember(() => s.grant(org, { product: 'KSE' }, member.email)),
    ).rejects.toMatchObject(refused);
    await expect(
      asMember(() => s.revokeGrant(org, { product: 'KSE' }, member.email)),
    ).rejects.toMatchObject(refused);
    await expect(
      asMember(() => s.removeMachine(org, { product: 'KSE' }, 'x')),
    ).rejects.toMatchObject(refused);
    await expect(
      asMember(() =>
        s.createOffline({ orgId: org, product: 'KSE', machineId: 'x', testing: true }),
      ),
    ).rejects.toMatchObject(refused);
    await expect(asMember(() => s.auditLog(org))).rejects.toMatchObject(refused);
    // Someone signed out in the console is nobody: the operator's operations refuse them too.
    await expect(
      actors.run({ who: 'visitor', from: 'test' }, () => s.createOrg('Other')),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // An Owner changes the outage grace, never the subscription (quota, machine quota, expiry).
    const { as: asOwner } = await joined('o@acme.test', 'owner');
    const subscription = {
      code: 'FORBIDDEN',
      message:
        "a pool's quota, machine quota and expiry are its subscription: only the server's operator changes them",
    };
    const later = Date.now() + 86_400_000 * 400;
    for (const change of [
      { quota: 99 },
      { machineQuota: 99 },
      { expiresAt: later },
      { quota: 99, outageGraceMinutes: 10 },
    ])
      await expect(
        asOwner(() => s.changePool(org, { product: 'KSE' }, change)),
      ).rejects.toMatchObject(subscription);
    expect(
      await asOwner(() => s.changePool(org, { product: 'KSE' }, { outageGraceMinutes: 10 })),
    ).toEqual({ product: 'KSE', model: 'floating', outageGraceMinutes: 10 });
    expect(await s.poolShow(org, { product: 'KSE' })).toMatchObject({
      quota: 2,
      machineQuota: 2,
      outageGraceMinutes: 10,
    });
    // Their own API keys they may make and see.
    await asMember(() => s.createApiKey(org, member.email));
    expect(await asMember(() => s.myApiKeys(org))).toHaveLength(1);
  });
});
