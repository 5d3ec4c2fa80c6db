// The audit log's one writer: each change recorded in its own transaction, as the current actor's.
import { insertAudit } from '../repository/audit.ts';
import type { Queries } from '../store/store.ts';
import { currentActor } from './actor.ts';
import type { Context } from './context.ts';

/** Records a change in the audit log, in the change's own transaction, as the current actor's. */
export const audit = async (
  ctx: Context,
  q: Queries,
  orgId: number | null,
  action: string,
  detail: string,
): Promise<void> => {
  const { who, from } = currentActor();
  await insertAudit(q, { at: ctx.clock(), org_id: orgId, who, address: from, action, detail });
};
