// Rows of the machines registered in a node-locked pool.
import type { Queries } from '../store/store.ts';

export interface MachineRow {
  machine_id: string;
  hostname: string | null;
  first_seen: number;
  last_seen: number;
}

const LAST_SEEN_PRECISION_MS = 60_000;

/**
 * Registers the machine, or notes that it was seen again (to the minute); resolves to whether it is new to the pool
 * (the pool's machine_count is the caller's to move). The primary key decides between concurrent
 * registrations of one machine: the second waits for the first to commit or roll back.
 */
export const registerMachine = async (
  q: Queries,
  m: { poolId: number; machineId: string; hostname: string | null; now: number },
): Promise<boolean> => {
  const inserted = await q.run(
    `INSERT INTO machines (pool_id, machine_id, hostname, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (pool_id, machine_id) DO NOTHING`,
    m.poolId,
    m.machineId,
    m.hostname,
    m.now,
    m.now,
  );
  if (inserted > 0) return true;
  // At most once a minute, or for a new hostname: many parallel runs of one machine then do not
  // take turns on its row (a row an UPDATE does not change is not locked).
  await q.run(
    `UPDATE machines SET last_seen = ?, hostname = coalesce(?, hostname)
     WHERE pool_id = ? AND machine_id = ?
       AND (last_seen < ? OR coalesce(?, hostname) IS DISTINCT FROM hostname)`,
    m.now,
    m.hostname,
    m.poolId,
    m.machineId,
    m.now - LAST_SEEN_PRECISION_MS,
    m.hostname,
  );
  return false;
};

export const deleteMachine = async (
  q: Queries,
  poolId: number,
  machineId: string,
): Promise<number> => {
  const deleted = await q.run(
    'DELETE FROM machines WHERE pool_id = ? AND machine_id = ?',
    poolId,
    machineId,
  );
  if (deleted > 0)
    await q.run('UPDATE pools SET machine_count = machine_count - ? WHERE id = ?', deleted, poolId);
  return deleted;
};

/** The pool's machines, oldest first; at most `limit` of them. */
export const listMachines = (q: Queries, poolId: number, limit = -1): Promise<MachineRow[]> =>
  q.all<MachineRow>(
    `SELECT * FROM machines WHERE pool_id = ? ORDER BY first_seen ${limit >= 0 ? `LIMIT ${limit}` : ''}`,
    poolId,
  );
