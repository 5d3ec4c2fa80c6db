// Who is acting, and from where: for the audit log and for the policy (core/roles.ts). Set by the
// HTTP layer for the request it serves (a console user, or the operator through the admin API);
// the admin CLI on the data dir is the operator at this machine.
// Operations read the actor from here rather than take it as an argument: the admin CLI and the
// remote admin client call the same operations with the same arguments as before, and who did it
// (the audit log) and who may do it come from one place, set once per request.
import { AsyncLocalStorage } from 'node:async_hooks';
import { fail } from '../../core/errors.ts';
import { authorize, type Action, type PolicyActor } from '../../core/roles.ts';
import { roleOf } from '../repository/accounts.ts';
import type { User } from '../repository/organisations.ts';
import type { Queries } from '../store/store.ts';

export interface Actor {
  /** A console user's e-mail, or "operator". */
  who: string;
  /** The client address, or "admin CLI". */
  from: string;
  /** The server's operator (admin token or admin CLI): may do everything. */
  operator?: true;
  /** The signed-in console user; neither this nor `operator`: someone signed out, who may do nothing. */
  user?: User;
}

export const actors = new AsyncLocalStorage<Actor>();

export const currentActor = (): Actor =>
  actors.getStore() ?? { who: 'operator', from: 'admin CLI', operator: true };

/** The current actor as the policy sees them in an organisation (a user with their role there). */
const policyActor = async (q: Queries, orgId: number | undefined): Promise<PolicyActor> => {
  const { operator, user } = currentActor();
  if (operator) return { kind: 'operator' };
  return {
    kind: 'user',
    role: user && orgId !== undefined ? await roleOf(q, orgId, user.id) : undefined,
  };
};

/**
 * The current actor, if the policy lets them do `action` in the organisation (none: across
 * organisations); the policy's refusal otherwise.
 */
export const authorized = async (
  q: Queries,
  orgId: number | undefined,
  action: Action,
): Promise<PolicyActor> => {
  const actor = await policyActor(q, orgId);
  const decision = authorize(actor, action, { orgId });
  if (!decision.ok) throw fail(decision.code, decision.message);
  return actor;
};
