// Rows of organisations, their members and the members' API keys.
import type { Product } from '../../core/vocabulary.ts';
import type { Queries } from '../store/store.ts';
import { count } from './pools.ts';

export interface User {
  id: number;
  email: string;
}

export const orgExists = async (q: Queries, orgId: number): Promise<boolean> =>
  Boolean(await q.get('SELECT 1 AS one FROM orgs WHERE id = ?', orgId));

export const orgByName = (q: Queries, name: string): Promise<{ id: number } | undefined> =>
  q.get<{ id: number }>('SELECT id FROM orgs WHERE lower(name) = lower(?)', name);

export const insertOrg = async (q: Queries, name: string, now: number): Promise<number> =>
  (await q.get<{ id: number }>(
    'INSERT INTO orgs (name, created_at) VALUES (?, ?) RETURNING id',
    name,
    now,
  ))!.id;

export const userByEmail = (q: Queries, email: string): Promise<User | undefined> =>
  q.get<User>('SELECT id, email FROM users WHERE email = ?', email.toLowerCase());

/** A new user with this e-mail; undefined if one exists (even one made at this moment elsewhere). */
export const createUser = (q: Queries, email: string, now: number): Promise<User | undefined> =>
  q.get<User>(
    'INSERT INTO users (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING RETURNING id, email',
    email.toLowerCase(),
    now,
  );

/** The user with this e-mail, created if new. */
export const upsertUser = async (q: Queries, email: string, now: number): Promise<User> => {
  await q.run(
    'INSERT INTO users (email, created_at) VALUES (?, ?) ON CONFLICT (email) DO NOTHING',
    email.toLowerCase(),
    now,
  );
  return (await userByEmail(q, email))!;
};

export const isMember = async (q: Queries, orgId: number, userId: number): Promise<boolean> =>
  Boolean(
    await q.get('SELECT 1 AS one FROM memberships WHERE org_id = ? AND user_id = ?', orgId, userId),
  );

export const addMembership = (q: Queries, orgId: number, userId: number): Promise<number> =>
  q.run(
    'INSERT INTO memberships (org_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    orgId,
    userId,
  );

export const removeMembership = (q: Queries, orgId: number, userId: number): Promise<number> =>
  q.run('DELETE FROM memberships WHERE org_id = ? AND user_id = ?', orgId, userId);

export const insertApiKey = async (
  q: Queries,
  k: { userId: number; hash: string; prefix: string; now: number },
): Promise<number> =>
  (await q.get<{ id: number }>(
    'INSERT INTO api_keys (user_id, hash, prefix, created_at) VALUES (?, ?, ?, ?) RETURNING id',
    k.userId,
    k.hash,
    k.prefix,
    k.now,
  ))!.id;

/** How many unrevoked API keys the user holds. */
export const activeKeyCount = (q: Queries, userId: number): Promise<number> =>
  count(q, 'SELECT count(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL', userId);

/** Resolves to whether an active key was revoked. */
export const revokeApiKey = async (q: Queries, id: number, now: number): Promise<boolean> =>
  (await q.run(
    'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    now,
    id,
  )) === 1;

export const activeKeyByHash = (
  q: Queries,
  hash: string,
): Promise<{ user_id: number; hash: string; email: string } | undefined> =>
  q.get(
    'SELECT user_id, hash, email FROM api_keys JOIN users ON users.id = user_id WHERE hash = ? AND revoked_at IS NULL',
    hash,
  );

/** The organisations a user belongs to, with the products they have pools of. */
export const orgsOfUser = async (
  q: Queries,
  userId: number,
): Promise<{ id: number; name: string; products: Product[] }[]> => {
  const rows = await q.all<{ id: number; name: string; product: Product | null }>(
    `SELECT DISTINCT orgs.id, orgs.name, pools.product FROM memberships
     JOIN orgs ON orgs.id = memberships.org_id LEFT JOIN pools ON pools.org_id = orgs.id
     WHERE memberships.user_id = ? ORDER BY orgs.id, pools.product`,
    userId,
  );
  const orgs = new Map<number, { id: number; name: string; products: Product[] }>();
  for (const r of rows) {
    const org = orgs.get(r.id) ?? { id: r.id, name: r.name, products: [] };
    if (r.product) org.products.push(r.product);
    orgs.set(r.id, org);
  }
  return [...orgs.values()];
};

export const listOrgs = (q: Queries): Promise<{ id: number; name: string; created_at: number }[]> =>
  q.all('SELECT id, name, created_at FROM orgs ORDER BY id');

export const membersOf = (q: Queries, orgId: number): Promise<User[]> =>
  q.all<User>(
    'SELECT users.id, users.email FROM memberships JOIN users ON users.id = user_id WHERE org_id = ? ORDER BY users.email',
    orgId,
  );

/** The organisations of an API key's user. */
export const orgIdsOfKey = async (q: Queries, keyId: number): Promise<number[]> =>
  (
    await q.all<{ org_id: number }>(
      'SELECT org_id FROM memberships JOIN api_keys ON api_keys.user_id = memberships.user_id WHERE api_keys.id = ?',
      keyId,
    )
  ).map((r) => r.org_id);

/** The API keys of an organisation's members: their prefixes, never more. */
export const apiKeysOf = (
  q: Queries,
  orgId: number,
): Promise<
  { id: number; prefix: string; email: string; created_at: number; revoked_at: number | null }[]
> =>
  q.all(
    `SELECT api_keys.id, api_keys.prefix, users.email, api_keys.created_at, api_keys.revoked_at FROM api_keys
     JOIN users ON users.id = api_keys.user_id JOIN memberships ON memberships.user_id = users.id
     WHERE memberships.org_id = ? ORDER BY api_keys.id`,
    orgId,
  );
