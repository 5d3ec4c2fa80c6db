// Who may do what in an organisation, as the seeds have it: only Owners and Admins see and change
// licenses and people; Members make and see their own API keys. One decision, `authorize`, over
// plain data: every service operation that acts for someone asks it; the console only hides what
// it refuses.
import { ROLES, type Role } from './vocabulary.ts';

/** Who acts: the server's operator (the admin token, the admin CLI) or a console user with their role (none: not a member). */
export type PolicyActor = { kind: 'operator' } | { kind: 'user'; role: Role | undefined };

export type Action =
  | { kind: 'manage-licenses' }
  | { kind: 'terminate-session' }
  | { kind: 'change-outage-grace' }
  /** A pool's quota, machine quota and expiry: the subscription the licensor sells. */
  | { kind: 'change-subscription' }
  | { kind: 'manage-people' }
  | { kind: 'invite'; role: Role }
  | { kind: 'change-role'; from: Role; to: Role }
  | { kind: 'remove-member'; role: Role }
  /** `own`: the key is for the actor themself; `active`: how many unrevoked keys they hold now. */
  | { kind: 'make-api-key'; own: boolean; active: number }
  | { kind: 'see-own-api-keys' }
  /** Organisations, pools, members and keys as the server's operator sees and makes them. */
  | { kind: 'operate' };

export type Decision =
  { ok: true } | { ok: false; code: 'NOT_FOUND' | 'FORBIDDEN'; message: string };

const ALLOWED: Decision = { ok: true };

/**
 * The most unrevoked API keys a console user holds: their API keys page shows every one of them
 * (it shows 100 rows), so that a key made behind their back (a borrowed session) is always there to
 * revoke. The operator, who lists every key, is not held to it.
 */
export const MAX_ACTIVE_API_KEYS = 100;
const forbidden = (message: string): Decision => ({ ok: false, code: 'FORBIDDEN', message });

const isManager = (role: Role) => role === 'owner' || role === 'admin';
/** Owners give any role; Admins any but Owner. */
const mayGive = (actor: Role, role: Role) =>
  actor === 'owner' || (actor === 'admin' && role !== 'owner');

/**
 * Whether `actor` may do `action` in organisation `context.orgId` (none: across organisations). The
 * operator may do everything; a user who is not a member finds no such organisation (another's
 * does not exist for them).
 */
export const authorize = (
  actor: PolicyActor,
  action: Action,
  context: { orgId: number | undefined },
): Decision => {
  if (actor.kind === 'operator') return ALLOWED;
  if (action.kind === 'operate' || context.orgId === undefined)
    return forbidden("only the server's operator does this, with the admin token");
  const { role } = actor;
  if (role === undefined)
    return { ok: false, code: 'NOT_FOUND', message: `no organisation ${context.orgId}` };
  const licenses = forbidden('only Owners and Admins of the organisation manage its licenses');
  const people = forbidden('only Owners and Admins of the organisation manage its people');
  switch (action.kind) {
    case 'see-own-api-keys':
      return ALLOWED;
    case 'make-api-key':
      if (!action.own) return forbidden('a member makes API keys for themself only');
      return action.active < MAX_ACTIVE_API_KEYS
        ? ALLOWED
        : forbidden(
            `you hold ${MAX_ACTIVE_API_KEYS} API keys, the most one member may: revoke one first (Your API keys)`,
          );
    case 'manage-licenses':
    case 'terminate-session':
      return isManager(role) ? ALLOWED : licenses;
    case 'change-outage-grace':
      // Owners only: a longer grace lets a run cut off from the server share its seat for longer.
      if (!isManager(role)) return licenses;
      return role === 'owner'
        ? ALLOWED
        : forbidden('only an Owner of the organisation changes the outage grace of its pools');
    case 'change-subscription':
      // What the organisation pays for: its own Owners raising it would mint licenses.
      return isManager(role)
        ? forbidden(
            "a pool's quota, machine quota and expiry are its subscription: only the server's operator changes them",
          )
        : licenses;
    case 'manage-people':
      return isManager(role) ? ALLOWED : people;
    case 'invite':
      if (!isManager(role)) return people;
      return mayGive(role, action.role)
        ? ALLOWED
        : forbidden(`only an Owner may make someone an ${action.role}`);
    case 'change-role':
      if (!isManager(role)) return people;
      return mayGive(role, action.from) && mayGive(role, action.to)
        ? ALLOWED
        : forbidden('only an Owner may change an Owner, or make one');
    case 'remove-member':
      if (!isManager(role)) return people;
      return mayGive(role, action.role) ? ALLOWED : forbidden('only an Owner may remove an Owner');
  }
};

/** Whether a member with `role` may do `action` (what the console offers them). */
export const memberMay = (role: Role | undefined, action: Action): boolean =>
  authorize({ kind: 'user', role }, action, { orgId: 0 }).ok;

/** Whether the organisation still has an Owner after a member with `current` stops being one. */
export const keepsAnOwner = (owners: number, current: Role, next: Role | 'removed'): boolean =>
  current !== 'owner' || next === 'owner' || owners > 1;

/**
 * The role of a member who accepts an invitation offering `offered`, having `current` (none: new):
 * the higher of the two. An invitation never lowers a role, so it never removes an Owner either.
 */
export const joinedRole = (current: Role | undefined, offered: Role): Role =>
  current === undefined || ROLES.indexOf(offered) < ROLES.indexOf(current) ? offered : current;
