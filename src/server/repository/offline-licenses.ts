// Rows of the offline and testing licenses issued from a pool, and the seats they hold.
import type { LicenseKind } from '../../core/vocabulary.ts';
import type { Queries } from '../store/store.ts';
import { COUNTS } from './pools.ts';

export interface OfflineLicenseRow {
  id: string;
  machine_id: string;
  kind: LicenseKind;
  issued_at: number;
  expires_at: number;
  certificate_id: string | null;
  /** The seat it holds in its certificate: offline licenses of format 3; null otherwise. */
  seat: number | null;
  /** The issued file (kept since migration 13; null before). */
  file_text?: string | null;
}

export const insertOfflineLicense = (
  q: Queries,
  poolId: number,
  l: OfflineLicenseRow,
): Promise<number> =>
  q.run(
    'INSERT INTO offline_licenses (id, pool_id, machine_id, kind, issued_at, expires_at, certificate_id, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    l.id,
    poolId,
    l.machine_id,
    l.kind,
    l.issued_at,
    l.expires_at,
    l.certificate_id,
    l.seat,
  );

/** Keeps the issued file's text (it is signed after the row is written, with the row's id). */
export const keepFileText = (q: Queries, id: string, text: string): Promise<number> =>
  q.run('UPDATE offline_licenses SET file_text = ? WHERE id = ?', text, id);

/** An issued license's file of the pool, for a download again; undefined if none was kept. */
export const fileTextOf = async (
  q: Queries,
  poolId: number,
  id: string,
): Promise<{ text: string | null; machine_id: string; kind: LicenseKind } | undefined> =>
  q.get(
    'SELECT file_text AS text, machine_id, kind FROM offline_licenses WHERE pool_id = ? AND id = ?',
    poolId,
    id,
  );

/**
 * The seat numbers that unexpired licenses hold in an issuer certificate, by every pool (a
 * superseded license's seat is its replacement's).
 */
export const seatsHeld = async (
  q: Queries,
  certificateId: string,
  now: number,
): Promise<number[]> =>
  (
    await q.all<{ seat: number }>(
      'SELECT seat FROM offline_licenses WHERE certificate_id = ? AND expires_at > ? AND seat IS NOT NULL AND superseded_by IS NULL',
      certificateId,
      now,
    )
  ).map((r) => r.seat);

export const unexpiredOfflineLicenses = (
  q: Queries,
  poolId: number,
  now: number,
): Promise<OfflineLicenseRow[]> =>
  q.all<OfflineLicenseRow>(
    'SELECT * FROM offline_licenses WHERE pool_id = ? AND expires_at > ? AND superseded_by IS NULL ORDER BY issued_at',
    poolId,
    now,
  );

/**
 * The license `--replace` re-issues: the machine's unexpired offline license of this pool that is
 * not superseded, one of an old format (no seat) first, then the one that expires first.
 */
export const replaceableLicense = (
  q: Queries,
  poolId: number,
  machineId: string,
  now: number,
): Promise<OfflineLicenseRow | undefined> =>
  q.get<OfflineLicenseRow>(
    `SELECT * FROM offline_licenses WHERE pool_id = ? AND machine_id = ? AND ${COUNTS}
     ORDER BY CASE WHEN seat IS NULL THEN 0 ELSE 1 END, expires_at LIMIT 1`,
    poolId,
    machineId,
    now,
  );

/** Marks a license superseded by `by`; 0 if another re-issue superseded it first. */
export const supersede = (q: Queries, id: string, by: string): Promise<number> =>
  q.run(
    'UPDATE offline_licenses SET superseded_by = ? WHERE id = ? AND superseded_by IS NULL',
    by,
    id,
  );
