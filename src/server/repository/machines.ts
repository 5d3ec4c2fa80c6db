// Rows of the machines registered in a node-locked pool.
import { prefixRange, type Cursor, type Prefixes } from '../../core/paging.ts';
import type { Param, Queries } from '../store/store.ts';
import { anyOf, countOf, newestFirst, startsWith } from './newest-first.ts';

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

/** Up to this many machines a filter finds are sorted for a page; more are walked in order. */
const SORTED_AT_MOST = 1000;

/**
 * A page of the pool's machines, newest first (first seen; then by machine ID): at most `limit`,
 * those before `before` when given, those whose machine ID or hostname starts with the filter's
 * (`found` of them in all: countMachines). A page reads a bounded part of an index, however many
 * machines the pool has: without a filter, or when the filter finds many, it walks
 * (pool_id, first_seen, machine_id) newest first, on average at most limit × total / found
 * entries for a page (the filter is then written so that no index serves it, which leaves the
 * order's index to the planner); when it finds few, their ranges of the primary key and of
 * (pool_id, hostname), at most SORTED_AT_MOST rows to sort.
 */
export const machinesPage = (
  q: Queries,
  poolId: number,
  find: { before?: Cursor; prefixes: Prefixes | null; found: number },
  limit: number,
): Promise<MachineRow[]> => {
  const [terms, params] = find.prefixes
    ? filter(find.prefixes, find.found <= SORTED_AT_MOST)
    : ['', []];
  return newestFirst(
    q,
    [`SELECT * FROM machines WHERE pool_id = ? ${terms && `AND ${terms}`}`, [poolId, ...params]],
    { at: 'first_seen', key: 'machine_id' },
    find.before,
    limit,
  );
};

/** How many of the pool's machines the filter finds: two ranges, of the primary key and of (pool_id, hostname). */
export const countMachines = (q: Queries, poolId: number, prefixes: Prefixes): Promise<number> => {
  const [terms, params] = filter(prefixes, true);
  return countOf(q, [
    `SELECT count(*) AS n FROM machines WHERE pool_id = ? AND ${terms}`,
    [poolId, ...params],
  ]);
};

/** The filter: as ranges of the indexes (`ranges`), or as tests that no index serves. */
const filter = (p: Prefixes, ranges: boolean): [string, Param[]] =>
  anyOf(
    ranges
      ? [inRange('machine_id', p.machineId), inRange('hostname', p.hostname)]
      : [startsWith('machine_id', p.machineId), startsWith('hostname', p.hostname)],
  );
const inRange = (column: string, prefix: string): [string, Param[]] => [
  `(${column} >= ? AND ${column} < ?)`,
  prefixRange(prefix),
];
