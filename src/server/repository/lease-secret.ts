// The server's lease secret: 32 random bytes, made by the first server that needs them and shared
// by every replica through the database, from which each session's lease key is derived
// (core/license/grant.ts leaseKeyOf). Losing it (a database restored from before it was made)
// only makes running katalonc resume their sessions once, under the new one.
import { randomBytes } from 'node:crypto';
import type { Queries } from '../store/store.ts';

export const leaseSecret = async (q: Queries): Promise<Buffer> => {
  // Replicas starting at once: the first insert wins, and every replica reads that one.
  await q.run(
    "INSERT INTO server_secrets (name, value) VALUES ('lease', ?) ON CONFLICT (name) DO NOTHING",
    randomBytes(32).toString('base64url'),
  );
  const row = await q.get<{ value: string }>(
    "SELECT value FROM server_secrets WHERE name = 'lease'",
  );
  return Buffer.from(row!.value, 'base64url');
};
