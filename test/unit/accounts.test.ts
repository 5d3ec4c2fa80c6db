// The console's people, on the service with a controlled clock: invitations expire and are
// single-use, only Owners make Owners, sessions expire, and the role rule itself.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { joinedRole } from '../../src/core/roles.ts';
import { actors } from '../../src/server/service/actor.ts';
import type { User } from '../../src/server/service/index.ts';
import { ROLES } from '../../src/core/vocabulary.ts';
import { openDataDir } from '../../src/server/data-dir.ts';
import { createService } from '../../src/server/service/index.ts';
import { hashPassword, verifyPassword } from '../../src/server/service/passwords.ts';
import { tempDir } from '../helpers/cli.ts';

const DAY = 86_400_000;
const PASSWORD = 'correct-horse-battery-staple';

const setup = async () => {
  let now = Date.UTC(2026, 11, 1);
  const { store, issuer } = await openDataDir(tempDir('kls-accounts-'));
  const s = createService(store, issuer, { clock: () => now });
  const org = (await s.createOrg('Acme')).id;
  return { s, org, later: (ms: number) => (now += ms) };
};

describe('an invitation accepted', () => {
  it('never lowers a role: the result is the higher of the one held and the one offered', () => {
    const rank = (r: (typeof ROLES)[number]) => ROLES.indexOf(r);
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(...ROLES), { nil: undefined }),
        fc.constantFrom(...ROLES),
        (current, offered) => {
          const role = joinedRole(current, offered);
          expect(rank(role)).toBeLessThanOrEqual(rank(offered));
          if (current) expect(rank(role)).toBeLessThanOrEqual(rank(current));
          expect([current, offered]).toContain(role);
        },
      ),
    );
  });
});

describe('invitations and console sessions', () => {
  it('an invitation expires after 7 days and works once', async () => {
    const { s, org, later } = await setup();
    const stale = await s.invite({ orgId: org, email: 'Late@Acme.test', role: 'admin' });
    const sameDay = await s.invite({ orgId: org, email: 'on-time@acme.test', role: 'admin' });
    later(7 * DAY + 1);
    await expect(s.invitation(stale.token)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.acceptInvitation(stale.token, PASSWORD)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const again = await s.invite({ orgId: org, email: 'on-time@acme.test', role: 'member' });
    expect(await s.acceptInvitation(again.token, PASSWORD)).toMatchObject({ role: 'member' });
    await expect(s.acceptInvitation(again.token, PASSWORD)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(s.invitation(sameDay.token)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a short password is refused before anything is used; e-mail addresses are checked', async () => {
    const { s, org } = await setup();
    const i = await s.invite({ orgId: org, email: 'a@acme.test', role: 'owner' });
    await expect(s.acceptInvitation(i.token, 'short')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(await s.acceptInvitation(i.token, PASSWORD)).toMatchObject({ email: 'a@acme.test' });
    await expect(
      s.invite({ orgId: org, email: 'not-an-address', role: 'member' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // Addresses a mailer reads as another mailbox than the account's.
    for (const email of [
      'a@acme.test,b@evil.test',
      'a@acme.test;b@evil.test',
      '"a@acme.test"<b@evil.test>',
      'a@acme.test<b@evil.test>',
      'a(b@evil.test)@acme.test',
      'a@[127.0.0.1]',
    ])
      await expect(s.invite({ orgId: org, email, role: 'member' }), email).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    for (const email of ['first.last+ci@mail.acme.co.uk', "o'brien@acme.test", 'x_y-z@a-b.test'])
      expect((await s.invite({ orgId: org, email, role: 'member' })).email).toBe(email);
  });

  it('an Admin cannot invite an Owner; an Owner can', async () => {
    const { s, org } = await setup();
    await s.acceptInvitation(
      (await s.invite({ orgId: org, email: 'o@acme.test', role: 'owner' })).token,
      PASSWORD,
    );
    await s.acceptInvitation(
      (await s.invite({ orgId: org, email: 'ad@acme.test', role: 'admin' })).token,
      PASSWORD,
    );
    const owner = (await s.signedIn((await s.signIn('o@acme.test', PASSWORD)).token))!.user;
    const admin = (await s.signedIn((await s.signIn('ad@acme.test', PASSWORD)).token))!.user;
    const as = <T>(user: User, run: () => Promise<T>) =>
      actors.run({ who: user.email, from: 'test', user }, run);
    await expect(
      as(admin, () => s.invite({ orgId: org, email: 'x@acme.test', role: 'owner' })),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(
      await as(admin, () => s.invite({ orgId: org, email: 'x@acme.test', role: 'admin' })),
    ).toMatchObject({ role: 'admin' });
    expect(
      await as(owner, () => s.invite({ orgId: org, email: 'x@acme.test', role: 'owner' })),
    ).toMatchObject({ role: 'owner' });
  });

  it('a console session expires after 12 hours; sign-out ends it at once; a wrong password is refused alike for unknown users', async () => {
    const { s, org, later } = await setup();
    await s.acceptInvitation(
      (await s.invite({ orgId: org, email: 'o@acme.test', role: 'owner' })).token,
      PASSWORD,
    );
    const a = await s.signIn('o@acme.test', PASSWORD);
    const b = await s.signIn('O@ACME.test', PASSWORD);
    expect(await s.signedIn(a.token)).toMatchObject({
      user: { email: 'o@acme.test' },
      csrf: a.csrf,
    });
    await s.signOut(a.token);
    expect(await s.signedIn(a.token)).toBeUndefined();
    later(12 * 3_600_000);
    expect(await s.signedIn(b.token)).toBeUndefined();
    await expect(s.signIn('o@acme.test', 'wrong-password-123')).rejects.toMatchObject({
      code: 'SIGNED_OUT',
    });
    await expect(s.signIn('nobody@acme.test', PASSWORD)).rejects.toMatchObject({
      code: 'SIGNED_OUT',
      message: 'wrong e-mail or password',
    });
  });

  it('password hashes: scrypt, salted, verified only by the same password', async () => {
    const one = await hashPassword(PASSWORD);
    const two = await hashPassword(PASSWORD);
    expect(one).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(one).not.toBe(two);
    expect(await verifyPassword(PASSWORD, one)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, one)).toBe(false);
    expect(await verifyPassword(PASSWORD, null)).toBe(false);
  });
});
