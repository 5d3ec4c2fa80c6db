// Admin operations on organisations, their members and the members' API keys.
import { randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import {
  addMembership,
  activeKeyCount,
  apiKeysOf,
  listOrgs,
  membersOf,
  insertApiKey,
  insertOrg,
  orgByName,
  removeMembership,
  revokeApiKey,
  orgIdsOfKey,
  upsertUser,
} from '../repository/organisations.ts';
import { membersWithRoles } from '../repository/accounts.ts';
import { keepsAnOwner } from '../../core/roles.ts';
import { canonicalEmail, isSafeText, printable, iso } from '../../core/text.ts';
import { poolIdsOf } from '../repository/pools.ts';
import { deleteLicensed, withdrawEntitlement } from '../repository/licensed-users.ts';
import { authorized, currentActor } from './actor.ts';
import { hashKey, type Authenticator } from './auth.ts';
import { audit } from './audit.ts';
import { endSessionsFor } from './seats.ts';
import { memberOrFail, notAnEmail, orgOrFail } from './checks.ts';
import type { Context } from './context.ts';

export const organisations = (ctx: Context, auth: Authenticator) => {
  const { store, clock } = ctx;
  return {
    createOrg: (name: string) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, undefined, { kind: 'operate' });
        const trimmed = name.trim();
        if (!trimmed) throw fail('BAD_REQUEST', 'an organisation needs a name');
        if (!isSafeText(trimmed))
          throw fail(
            'BAD_REQUEST',
            `the organisation name "${printable(trimmed)}" holds a control or bidirectional character (a newline, an escape, U+202E…): remove it`,
          );
        if (await orgByName(tx, trimmed))
          throw fail('CONFLICT', `an organisation named "${trimmed}" exists already`);
        const id = await insertOrg(tx, trimmed, clock());
        await audit(ctx, tx, id, 'organisation created', trimmed);
        return { id };
      }),

    addUser: (orgId: number, email: string) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, { kind: 'operate' });
        const canonical = canonicalEmail(email);
        if (!canonical) throw notAnEmail(email);
        await orgOrFail(tx, orgId);
        const user = await upsertUser(tx, canonical, clock());
        await addMembership(tx, orgId, user.id);
        await audit(ctx, tx, orgId, 'member added', user.email);
        return { orgId, email: user.email, userId: user.id };
      }),

    createApiKey: (orgId: number, email: string) =>
      ctx.events.transaction(async (tx) => {
        const { user: actor } = currentActor();
        const own = actor?.email === canonicalEmail(email);
        const active = actor ? await activeKeyCount(tx, actor.id) : 0;
        await authorized(tx, orgId, { kind: 'make-api-key', own, active });
        const user = await memberOrFail(tx, orgId, email);
        const apiKey = `kls_${randomBytes(32).toString('base64url')}`;
        const id = await insertApiKey(tx, {
          userId: user.id,
          hash: hashKey(apiKey),
          prefix: apiKey.slice(0, 8),
          now: clock(),
        });
        await audit(ctx, tx, orgId, 'API key created', `${user.email}: ${apiKey.slice(0, 8)}…`);
        return { id, apiKey, email: user.email };
      }),

    /**
     * Removes a member: their licensed-user grants go, and their sessions end at the next heartbeat.
     * A console user: Admins never remove Owners, and the last Owner stays; the operator may remove
     * anyone.
     */
    removeUser: (orgId: number, email: string) =>
      ctx.events.transaction(async (tx) => {
        await tx.lockOrg(orgId); // the roles below, the actor's too, are read as they are now
        const actor = await authorized(tx, orgId, { kind: 'manage-people' });
        const user = await memberOrFail(tx, orgId, email);
        const members = await membersWithRoles(tx, orgId);
        const target = members.find((m) => m.id === user.id)!.role;
        await authorized(tx, orgId, { kind: 'remove-member', role: target });
        if (
          actor.kind === 'user' &&
          !keepsAnOwner(members.filter((m) => m.role === 'owner').length, target, 'removed')
        )
          throw fail('CONFLICT', 'the organisation needs an Owner: make someone else Owner first');
        let sessionsEnded = 0;
        for (const poolId of await poolIdsOf(tx, orgId)) {
          await withdrawEntitlement(tx, poolId);
          await deleteLicensed(tx, poolId, user.id);
          sessionsEnded += await endSessionsFor(
            ctx,
            tx,
            { poolId, userId: user.id },
            {
              event: 'terminated',
              reason: `${user.email} was removed from the organisation by an admin`,
            },
          );
        }
        await audit(
          ctx,
          tx,
          orgId,
          'member removed',
          `${user.email} (${sessionsEnded} sessions ended)`,
        );
        await removeMembership(tx, orgId, user.id);
        return { orgId, email: user.email, removed: true, sessionsEnded };
      }),

    listOrgs: async () => {
      await authorized(store, undefined, { kind: 'operate' });
      return (await listOrgs(store)).map((o) => ({
        id: o.id,
        name: o.name,
        createdAt: iso(o.created_at),
      }));
    },

    listUsers: async (orgId: number) => {
      await authorized(store, orgId, { kind: 'operate' });
      await orgOrFail(store, orgId);
      return (await membersOf(store, orgId)).map((u) => ({ userId: u.id, email: u.email }));
    },

    listApiKeys: async (orgId: number) => {
      await authorized(store, orgId, { kind: 'operate' });
      await orgOrFail(store, orgId);
      return (await apiKeysOf(store, orgId)).map((k) => ({
        id: k.id,
        prefix: `${k.prefix}…`,
        email: k.email,
        createdAt: iso(k.created_at),
        revoked: k.revoked_at !== null,
      }));
    },

    /**
     * The console: the actor's own API keys in an organisation (prefixes only), the active ones
     * first, newest first: all of them fit the page (MAX_ACTIVE_API_KEYS).
     */
    myApiKeys: async (orgId: number) => {
      await authorized(store, orgId, { kind: 'see-own-api-keys' });
      const email = currentActor().user?.email;
      return (await apiKeysOf(store, orgId))
        .filter((k) => k.email === email)
        .sort(
          (a, b) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null) || b.id - a.id,
        )
        .map((k) => ({
          id: k.id,
          prefix: `${k.prefix}…`,
          createdAt: iso(k.created_at),
          revoked: k.revoked_at !== null,
        }));
    },

    /** The console: revokes one of the actor's own keys (anyone else's is not found). */
    revokeMyApiKey: (orgId: number, id: number) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, orgId, { kind: 'see-own-api-keys' });
        const email = currentActor().user?.email;
        const own = (await apiKeysOf(tx, orgId)).some((k) => k.id === id && k.email === email);
        if (!own || !(await revokeApiKey(tx, id, clock())))
          throw fail('NOT_FOUND', `no active API key with id ${id}`);
        auth.clear();
        await audit(ctx, tx, orgId, 'API key revoked', `${email}: key ${id}`);
        return { id, revoked: true };
      }),

    revokeApiKey: (id: number) =>
      ctx.events.transaction(async (tx) => {
        await authorized(tx, undefined, { kind: 'operate' });
        if (!(await revokeApiKey(tx, id, clock())))
          throw fail('NOT_FOUND', `no active API key with id ${id}`);
        auth.clear();
        // A key is its user's, in every organisation they belong to.
        for (const orgId of await orgIdsOfKey(tx, id))
          await audit(ctx, tx, orgId, 'API key revoked', `key ${id}`);
        return { id, revoked: true };
      }),
  };
};
