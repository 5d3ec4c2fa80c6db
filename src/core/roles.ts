// Who may do what in an organisation, as the seeds have it: only Owners and Admins see and change
// licenses and people; Members see their own API keys, machines and sessions. The server checks
// these on every route; the console only hides what they refuse.
import { ROLES, type Role } from './vocabulary.ts';

export const mayManageLicenses = (role: Role | undefined): boolean =>
  role === 'owner' || role === 'admin';

/**
 * Whether `actor` may change (or remove) a member who has `current` now: Owners anyone, Admins
 * anyone but Owners. The last Owner stays: see `keepsAnOwner`.
 */
export const mayChangeMember = (actor: Role | undefined, current: Role): boolean =>
  mayGrantRole(actor, current);

/** Whether the organisation still has an Owner after a member with `current` stops being one. */
export const keepsAnOwner = (owners: number, current: Role, next: Role | 'removed'): boolean =>
  current !== 'owner' || next === 'owner' || owners > 1;

/** Whether `actor` may give `role` to someone (by invitation or a change): Admins never make Owners. */
export const mayGrantRole = (actor: Role | undefined, role: Role): boolean =>
  actor === 'owner' || (actor === 'admin' && role !== 'owner');

/**
 * Whether `actor` may change a pool's outage grace: Owners only, since a longer grace lets a run
 * cut off from the server share its seat for longer.
 */
export const mayChangeOutageGrace = (actor: Role | undefined): boolean => actor === 'owner';

/**
 * The role of a member who accepts an invitation offering `offered`, having `current` (none: new):
 * the higher of the two. An invitation never lowers a role, so it never removes an Owner either.
 */
export const joinedRole = (current: Role | undefined, offered: Role): Role =>
  current === undefined || ROLES.indexOf(offered) < ROLES.indexOf(current) ? offered : current;
