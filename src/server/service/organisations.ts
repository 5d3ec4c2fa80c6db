// Admin operations on organisations, their members and the members' API keys.
import { randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import {
  addMembership,
  insertApiKey,
  insertOrg,
  revokeApiKey,
  upsertUser,
} from '../repository/organisations.ts';
import { hashKey, type Authenticator } from './auth.ts';
import { memberOrFail, orgOrFail, type Context } from './context.ts';

export const organisations = ({ store, clock }: Context, auth: Authenticator) => ({
  createOrg: (name: string) =>
    store.transaction(async (tx) => ({ id: await insertOrg(tx, name, clock()) })),

  addUser: (orgId: number, email: string) =>
    store.transaction(async (tx) => {
      await orgOrFail(tx, orgId);
      const user = await upsertUser(tx, email, clock());
      await addMembership(tx, orgId, user.id);
      return { orgId, email: user.email, userId: user.id };
    }),

  createApiKey: (orgId: number, email: string) =>
    store.transaction(async (tx) => {
      const user = await memberOrFail(tx, orgId, email);
      const apiKey = `kls_${randomBytes(32).toString('base64url')}`;
      const id = await insertApiKey(tx, {
        userId: user.id,
        hash: hashKey(apiKey),
        prefix: apiKey.slice(0, 8),
        now: clock(),
      });
      return { id, apiKey, email: user.email };
    }),

  revokeApiKey: (id: number) =>
    store.transaction(async (tx) => {
      if (!(await revokeApiKey(tx, id, clock())))
        throw fail('NOT_FOUND', `no active API key with id ${id}`);
      auth.clear();
      return { id, revoked: true };
    }),
});
