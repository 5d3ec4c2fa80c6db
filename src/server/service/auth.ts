// API-key authentication. Successful checks are reused for AUTH_CACHE_MS: a storm of heartbeats
// then costs no hashing and no lookup. A revocation through this server clears them at once; one
// made by another process (the admin subcommand, another replica) applies here within AUTH_CACHE_MS.
// The cache is bounded: at AUTH_CACHE_MAX entries the oldest is dropped.
import { createHash, timingSafeEqual } from 'node:crypto';
import { activeKeyByHash, type User } from '../repository/organisations.ts';
import type { Queries } from '../store/store.ts';

const AUTH_CACHE_MS = 1000;
const AUTH_CACHE_MAX = 10_000;

export const hashKey = (apiKey: string): string =>
  createHash('sha256').update(apiKey).digest('hex');

export interface Authenticator {
  authenticate: (apiKey: string) => Promise<User | null>;
  /** Forgets every reused check (after a revocation). */
  clear: () => void;
}

export const createAuthenticator = (q: Queries, clock: () => number): Authenticator => {
  const cache = new Map<string, { user: User; until: number }>();
  return {
    authenticate: async (apiKey) => {
      const now = clock();
      const cached = cache.get(apiKey);
      if (cached && cached.until > now) return cached.user;
      cache.delete(apiKey);
      const hash = hashKey(apiKey);
      const row = await activeKeyByHash(q, hash);
      // The lookup is by hash; the constant-time compare makes the final check independent of the key's bytes.
      if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return null;
      const user = { id: row.user_id, email: row.email };
      if (cache.size >= AUTH_CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(apiKey, { user, until: now + AUTH_CACHE_MS });
      return user;
    },
    clear: () => cache.clear(),
  };
};
