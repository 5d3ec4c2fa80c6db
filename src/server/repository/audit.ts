// The audit log: one row per change an operator, Owner or Admin made (who, what, when, from where).
import type { Queries } from '../store/store.ts';

export interface AuditRow {
  at: number;
  org_id: number | null;
  who: string;
  address: string;
  action: string;
  detail: string;
}

export const insertAudit = (q: Queries, r: AuditRow): Promise<number> =>
  q.run(
    'INSERT INTO audit_log (at, org_id, who, address, action, detail) VALUES (?, ?, ?, ?, ?, ?)',
    r.at,
    r.org_id,
    r.who,
    r.address,
    r.action,
    r.detail,
  );

/**
 * An organisation's entries, newest first; at most `limit`, and only those older than entry
 * `before` when given (the next page: no entry is ever out of reach, however many come after it).
 */
export const auditOf = (
  q: Queries,
  orgId: number,
  limit: number,
  before?: number,
): Promise<(AuditRow & { id: number })[]> =>
  q.all(
    `SELECT id, at, org_id, who, address, action, detail FROM audit_log WHERE org_id = ?
     ${before === undefined ? '' : 'AND id < ?'} ORDER BY id DESC LIMIT ${limit}`,
    orgId,
    ...(before === undefined ? [] : [before]),
  );
