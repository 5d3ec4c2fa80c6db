// Rows of the console's people: passwords, roles, invitations and signed-in sessions. Tokens are
// stored only as their SHA-256 hash.
import type { Role } from '../../core/vocabulary.ts';
import type { Queries } from '../store/store.ts';

export const passwordHashOf = async (
  q: Queries,
  email: string,
): Promise<{ id: number; email: string; password_hash: string | null } | undefined> =>
  q.get('SELECT id, email, password_hash FROM users WHERE email = ?', email.toLowerCase());

/** Sets the password of an account that has none; resolves to 0 if it has one (nothing changed). */
export const setFirstPassword = (q: Queries, userId: number, hash: string): Promise<number> =>
  q.run('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NULL', hash, userId);

export const roleOf = async (
  q: Queries,
  orgId: number,
  userId: number,
): Promise<Role | undefined> =>
  (
    await q.get<{ role: Role }>(
      'SELECT role FROM memberships WHERE org_id = ? AND user_id = ?',
      orgId,
      userId,
    )
  )?.role;

/** Makes the user a member with this role (a member already gets the role). */
export const setMembership = (q: Queries, orgId: number, userId: number, role: Role) =>
  q.run(
    `INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?)
     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`,
    orgId,
    userId,
    role,
  );

export const membersWithRoles = (
  q: Queries,
  orgId: number,
): Promise<{ id: number; email: string; role: Role }[]> =>
  q.all(
    `SELECT users.id, users.email, memberships.role FROM memberships JOIN users ON users.id = user_id
     WHERE org_id = ? ORDER BY users.email`,
    orgId,
  );

export const orgsWithRoles = (
  q: Queries,
  userId: number,
): Promise<{ id: number; name: string; role: Role }[]> =>
  q.all(
    `SELECT orgs.id, orgs.name, memberships.role FROM memberships JOIN orgs ON orgs.id = org_id
     WHERE user_id = ? ORDER BY orgs.name`,
    userId,
  );

export interface InvitationRow {
  token_hash: string;
  org_id: number;
  email: string;
  role: Role;
  /** The console user who made it; null: the operator. */
  invited_by: number | null;
  expires_at: number;
  used_at: number | null;
}

export const insertInvitation = (
  q: Queries,
  i: Omit<InvitationRow, 'used_at'> & { created_at: number },
): Promise<number> =>
  q.run(
    'INSERT INTO invitations (token_hash, org_id, email, role, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    i.token_hash,
    i.org_id,
    i.email,
    i.role,
    i.invited_by,
    i.created_at,
    i.expires_at,
  );

/** An organisation's invitations not used, withdrawn or expired, with who made them, oldest first. */
export const pendingInvitations = (
  q: Queries,
  orgId: number,
  now: number,
): Promise<(InvitationRow & { created_at: number; invited_by_email: string | null })[]> =>
  q.all(
    `SELECT invitations.*, users.email AS invited_by_email FROM invitations
     LEFT JOIN users ON users.id = invitations.invited_by
     WHERE org_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at`,
    orgId,
    now,
  );

/** The invitation with its organisation's name (none once the organisation is gone). */
export const invitationByHash = (
  q: Queries,
  tokenHash: string,
): Promise<(InvitationRow & { org_name: string }) | undefined> =>
  q.get(
    `SELECT invitations.*, orgs.name AS org_name FROM invitations JOIN orgs ON orgs.id = org_id
     WHERE token_hash = ?`,
    tokenHash,
  );

/** Marks the invitation used; resolves to 0 if it was used meanwhile (it is single-use). */
export const useInvitation = (q: Queries, tokenHash: string, now: number): Promise<number> =>
  q.run(
    'UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL',
    now,
    tokenHash,
  );

export const insertConsoleSession = (
  q: Queries,
  s: { tokenHash: string; userId: number; csrf: string; now: number; expiresAt: number },
): Promise<number> =>
  q.run(
    'INSERT INTO console_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    s.tokenHash,
    s.userId,
    s.csrf,
    s.now,
    s.expiresAt,
  );

export const consoleSessionByHash = (
  q: Queries,
  tokenHash: string,
  now: number,
): Promise<{ user_id: number; email: string; csrf: string } | undefined> =>
  q.get(
    `SELECT user_id, email, csrf FROM console_sessions JOIN users ON users.id = user_id
     WHERE token_hash = ? AND expires_at > ?`,
    tokenHash,
    now,
  );

export const deleteConsoleSession = (q: Queries, tokenHash: string): Promise<number> =>
  q.run('DELETE FROM console_sessions WHERE token_hash = ?', tokenHash);
