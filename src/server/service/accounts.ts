// The console's people: invitations (one-time links, the only way in; e-mailed with SMTP settings),
// passwords, signed-in sessions, and the members' roles (who may change them: core/roles.ts).
// Whoever makes an invitation holds its link (also when the server e-mails it), so a link proves
// nothing about who opens it: it gives a password only to an account it creates (or, from the
// operator, to one that has none), and it joins an existing account only when that account is
// signed in.
import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import { joinedRole, keepsAnOwner, memberMay } from '../../core/roles.ts';
import { canonicalEmail, iso } from '../../core/text.ts';
import type { Role } from '../../core/vocabulary.ts';
import {
  consoleSessionByHash,
  deleteConsoleSession,
  insertConsoleSession,
  insertInvitation,
  invitationByHash,
  membersWithRoles,
  pendingInvitations,
  orgsWithRoles,
  passwordHashOf,
  roleOf,
  setFirstPassword,
  setMembership,
  useInvitation,
  type InvitationRow,
} from '../repository/accounts.ts';
import { auditOf } from '../repository/audit.ts';
import { createUser, userByEmail, type User } from '../repository/organisations.ts';
import type { Queries } from '../store/store.ts';
import { authorized, currentActor } from './actor.ts';
import { audit } from './audit.ts';
import { notAnEmail, orgOrFail } from './checks.ts';
import type { Context } from './context.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';

const INVITATION_MS = 7 * 86_400_000;
const SESSION_MS = 12 * 3_600_000;

const token = (): string => randomBytes(32).toString('base64url');
const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const accounts = (ctx: Context) => {
  const { store, clock } = ctx;

  /** The invitation if it can still be accepted, else NOT_FOUND (used, expired, or never was). */
  const gone = () =>
    fail('NOT_FOUND', 'this invitation link was used already or has expired: ask for a new one');
  const usable = <I extends { used_at: number | null; expires_at: number }>(
    i: I | undefined,
  ): I => {
    if (!i || i.used_at !== null || i.expires_at <= clock()) throw gone();
    return i;
  };

  /** Refused unless whoever made the invitation may still give its role (the operator always may). */
  const makerMayStill = async (q: Queries, i: InvitationRow) => {
    if (
      i.invited_by !== null &&
      !memberMay(await roleOf(q, i.org_id, i.invited_by), { kind: 'invite', role: i.role })
    )
      throw fail(
        'FORBIDDEN',
        `whoever made this invitation may no longer make someone ${i.role} here: ask for a new one`,
      );
  };

  /** How an invitation is accepted: a password for a new account, else signed in as its account. */
  const acceptance = async (
    q: Queries,
    i: InvitationRow,
  ): Promise<'password' | 'sign-in' | 'operator'> => {
    const account = await passwordHashOf(q, i.email);
    if (!account) return 'password';
    if (account.password_hash !== null) return 'sign-in';
    return i.invited_by === null ? 'password' : 'operator';
  };
  const accountExists = (i: InvitationRow, how: 'sign-in' | 'operator') =>
    fail(
      'CONFLICT',
      how === 'sign-in'
        ? `${i.email} has an account: sign in as ${i.email} with its own password, then open this link again to accept (an invitation never changes a password)`
        : `${i.email} has an account without a console password: only the server's operator can give it one, with a link from "katalon-license-server invite"`,
    );

  /**
   * Uses the invitation (once) and gives `user` its membership: the higher of the role they have
   * and the one offered (never lower), audited in the organisation, a changed role as such.
   */
  const join = async (tx: Queries, i: InvitationRow, user: User) => {
    // Single-use even against a concurrent acceptance of the same link.
    if (!(await useInvitation(tx, i.token_hash, clock()))) throw gone();
    const current = await roleOf(tx, i.org_id, user.id);
    const role = joinedRole(current, i.role);
    if (role !== current) await setMembership(tx, i.org_id, user.id, role);
    const detail =
      current === undefined
        ? `${user.email} is ${role}`
        : role === current
          ? `${user.email} stays ${current} (the invitation offered ${i.role})`
          : `${user.email} is ${role}, was ${current}`;
    await audit(ctx, tx, i.org_id, 'invitation accepted', detail);
    if (current && role !== current)
      await audit(
        ctx,
        tx,
        i.org_id,
        'role changed',
        `${user.email}: ${current} → ${role} (invitation)`,
      );
    return { email: user.email, orgId: i.org_id, role };
  };

  /** A new one-time invitation by the current actor; its token, shown once (kept only as a hash). */
  const makeInvitation = async (tx: Queries, orgId: number, email: string, role: Role) => {
    const secret = token();
    const expiresAt = clock() + INVITATION_MS;
    await insertInvitation(tx, {
      token_hash: hashOf(secret),
      org_id: orgId,
      email,
      role,
      invited_by: currentActor().user?.id ?? null,
      created_at: clock(),
      expires_at: expiresAt,
    });
    return { token: secret, expiresAt: iso(expiresAt) };
  };

  /**
   * E-mails a committed invitation when the server has SMTP settings (after its transaction, so
   * that a slow SMTP server holds no lock), audited either way; whether it went, for its maker.
   */
  const mailed = async (token: string): Promise<{ mailedTo?: string; mailError?: string }> => {
    if (!ctx.mail) return {};
    const i = await invitationByHash(store, hashOf(token));
    if (!i) return {}; // its organisation was removed meanwhile
    const { error } = await ctx.mail.send({
      token,
      to: i.email,
      orgName: i.org_name,
      role: i.role,
      by: currentActor().user?.email,
      expiresAt: iso(i.expires_at),
    });
    await ctx.events.transaction((tx) =>
      error === undefined
        ? audit(ctx, tx, i.org_id, 'invitation e-mailed', `to ${i.email}`)
        : audit(ctx, tx, i.org_id, 'invitation e-mail failed', `to ${i.email}: ${error}`),
    );
    return error === undefined ? { mailedTo: i.email } : { mailError: error };
  };

  /**
   * Ends a pending invitation of the organisation, audited; only whoever may give its role (an
   * Admin does not withdraw an invitation to be Owner).
   */
  const withdraw = async (tx: Queries, orgId: number, id: string) => {
    const i = await invitationByHash(tx, id);
    if (!i || i.org_id !== orgId || i.used_at !== null || i.expires_at <= clock())
      throw fail('NOT_FOUND', 'no such pending invitation: it was used, withdrawn or expired');
    await authorized(tx, orgId, { kind: 'invite', role: i.role });
    await useInvitation(tx, id, clock());
    await audit(ctx, tx, orgId, 'invitation withdrawn', `${i.email} as ${i.role}`);
    return i;
  };

  return {
    /**
     * A one-time invitation link's token for `email` to join as `role`, valid 7 days, made by the
     * current actor (a console user, or the server operator); e-mailed with SMTP settings.
     */
    invite: async (r: { orgId: number; email: string; role: Role }) => {
      const invited = await ctx.events.transaction(async (tx) => {
        await authorized(tx, r.orgId, { kind: 'invite', role: r.role });
        const email = canonicalEmail(r.email);
        if (!email) throw notAnEmail(r.email);
        await orgOrFail(tx, r.orgId);
        const made = await makeInvitation(tx, r.orgId, email, r.role);
        await audit(ctx, tx, r.orgId, 'invitation created', `${email} as ${r.role}`);
        return { token: made.token, email, role: r.role, expiresAt: made.expiresAt };
      });
      return { ...invited, ...(await mailed(invited.token)) };
    },

    /**
     * The organisation's pending invitations (who, as what, by whom, until when). Their id is the
     * hash the database keeps, never the link's token: nobody gets a link from this list.
     */
    invitations: async (orgId: number) => {
      await authorized(store, orgId, { kind: 'manage-people' });
      return (await pendingInvitations(store, orgId, clock())).map((i) => ({
        id: i.token_hash,
        email: i.email,
        role: i.role,
        by: i.invited_by_email ?? 'operator',
        expiresAt: iso(i.expires_at),
      }));
    },

    /** Withdraws a pending invitation: its link stops working. */
    withdrawInvitation: (orgId: number, id: string) =>
      ctx.events.transaction(async (tx) => ({
        withdrawn: true,
        email: (await withdraw(tx, orgId, id)).email,
      })),

    /**
     * Replaces a pending invitation by a fresh link (same e-mail and role), which the answer
     * carries; e-mailed with SMTP settings.
     */
    renewInvitation: async (orgId: number, id: string) => {
      const renewed = await ctx.events.transaction(async (tx) => {
        const old = await withdraw(tx, orgId, id);
        const made = await makeInvitation(tx, orgId, old.email, old.role);
        await audit(
          ctx,
          tx,
          orgId,
          'invitation created',
          `${old.email} as ${old.role} (a fresh link)`,
        );
        return { email: old.email, role: old.role, ...made };
      });
      return { ...renewed, ...(await mailed(renewed.token)) };
    },

    /**
     * What an invitation link offers, and how it is accepted (a password for a new account, else
     * signed in as the account); NOT_FOUND if it was used, has expired or never was.
     */
    invitation: async (secret: string) => {
      const i = usable(await invitationByHash(store, hashOf(secret)));
      return {
        email: i.email,
        role: i.role,
        orgId: i.org_id,
        orgName: i.org_name,
        accept: await acceptance(store, i),
      };
    },

    /** Accepts an invitation with a new password: only for an account it creates (see above); single-use. */
    acceptInvitation: async (secret: string, password: string) => {
      if (password.length < MIN_PASSWORD_LENGTH)
        throw fail('BAD_REQUEST', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
      const hash = await hashPassword(password);
      return ctx.events.transaction(async (tx) => {
        const i = usable(await invitationByHash(tx, hashOf(secret)));
        await makerMayStill(tx, i);
        // Decided here, in the transaction: an account made since the link was opened counts.
        const how = await acceptance(tx, i);
        if (how !== 'password') throw accountExists(i, how);
        // Against what another replica commits meanwhile: an account made is not this link's
        // (unless the operator's), and a password set is never replaced.
        const user =
          (await createUser(tx, i.email, clock())) ??
          (i.invited_by === null ? await userByEmail(tx, i.email) : undefined);
        if (!user || !(await setFirstPassword(tx, user.id, hash)))
          throw accountExists(i, 'sign-in');
        return join(tx, i, user);
      });
    },

    /** Accepts an invitation for the signed-in user's own account (no password involved); single-use. */
    acceptInvitationAs: (user: User, secret: string) =>
      ctx.events.transaction(async (tx) => {
        const i = usable(await invitationByHash(tx, hashOf(secret)));
        if (i.email !== user.email)
          throw fail(
            'FORBIDDEN',
            `this invitation is for ${i.email}, and you are signed in as ${user.email}: sign out, then open the link again`,
          );
        await makerMayStill(tx, i);
        return join(tx, i, user);
      }),

    /** Signs in; the session token goes in a cookie, the CSRF token in every form. */
    signIn: async (email: string, password: string) => {
      const row = await passwordHashOf(store, email.trim());
      if (!(await verifyPassword(password, row?.password_hash ?? null)) || !row)
        throw fail('SIGNED_OUT', 'wrong e-mail or password');
      const session = { token: token(), csrf: token() };
      const now = clock();
      await insertConsoleSession(store, {
        tokenHash: hashOf(session.token),
        userId: row.id,
        csrf: session.csrf,
        now,
        expiresAt: now + SESSION_MS,
      });
      return { ...session, maxAgeSeconds: SESSION_MS / 1000 };
    },

    /** The signed-in user of a session cookie, and the session's CSRF token. */
    signedIn: async (secret: string) => {
      const s = await consoleSessionByHash(store, hashOf(secret), clock());
      return s && { user: { id: s.user_id, email: s.email }, csrf: s.csrf };
    },

    signOut: (secret: string) => deleteConsoleSession(store, hashOf(secret)),

    /** The organisations the user belongs to, with their role in each. */
    myOrgs: (user: User) => orgsWithRoles(store, user.id),

    /** The members and their roles (the console's People page). */
    people: async (orgId: number) => {
      await authorized(store, orgId, { kind: 'manage-people' });
      return membersWithRoles(store, orgId);
    },

    /** Changes a member's role, as the actor may (Admins never touch Owners; the last Owner stays). */
    changeRole: (orgId: number, email: string, role: Role) =>
      ctx.events.transaction(async (tx) => {
        await tx.lockOrg(orgId); // the roles below, the actor's too, are read as they are now
        await authorized(tx, orgId, { kind: 'manage-people' });
        const members = await membersWithRoles(tx, orgId);
        const target = members.find((m) => m.email === email.toLowerCase());
        if (!target) throw fail('NOT_FOUND', `${email} is not a member`);
        await authorized(tx, orgId, { kind: 'change-role', from: target.role, to: role });
        const owners = members.filter((m) => m.role === 'owner').length;
        if (!keepsAnOwner(owners, target.role, role))
          throw fail('CONFLICT', 'the organisation needs an Owner: make someone else Owner first');
        await setMembership(tx, orgId, target.id, role);
        await audit(ctx, tx, orgId, 'role changed', `${target.email}: ${target.role} → ${role}`);
        return { email: target.email, role };
      }),

    /**
     * The organisation's audit log, newest first: 500 entries, those before entry `before` when
     * given (each entry's id says where the next page starts).
     */
    auditLog: async (orgId: number, before?: number) => {
      await authorized(store, orgId, { kind: 'manage-licenses' });
      await orgOrFail(store, orgId);
      return (await auditOf(store, orgId, 500, before)).map((r) => ({
        id: r.id,
        at: new Date(r.at).toISOString(),
        who: r.who,
        from: r.address,
        action: r.action,
        detail: r.detail,
      }));
    },

    /** The actor's role if they may manage the organisation's licenses (the operator's: owner). */
    licenseManager: async (orgId: number): Promise<Role> => {
      const actor = await authorized(store, orgId, { kind: 'manage-licenses' });
      return actor.kind === 'user' ? actor.role! : 'owner';
    },
  };
};
