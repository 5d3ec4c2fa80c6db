// Who may do what in an organisation, as the seeds have it: only Owners and Admins see and change
// licenses and people; Members see their own API keys, machines and sessions. The server checks
// these on every route; the console only hides what they refuse.
import type { Role } from './vocabulary.ts';

export const mayManageLicenses = (role: Role | undefined): boolean =>
  role === 'owner' || role === 'admin';

/** Whether `actor` may give `role` to someone (by invitation or a change): Admins never make Owners. */
export const mayGrantRole = (actor: Role | undefined, role: Role): boolean =>
  actor === 'owner' || (actor === 'admin' && role !== 'owner');
