// The checks the service operations share: typed input (machine IDs, e-mail addresses) and what
// must exist (an organisation, its pool, a member), each failing with the error that names the fix.
import { currentActor } from './actor.ts';
import { fail } from '../../core/errors.ts';
import { parseMachineId } from '../../core/machine-id/format.ts';
import { NOT_AN_EMAIL } from '../../core/text.ts';
import { pickPool, type PoolRef } from '../../core/pool-ref.ts';
import type { PoolModel } from '../../core/vocabulary.ts';
import { isMember, orgExists, userByEmail, type User } from '../repository/organisations.ts';
import { poolById, poolsOf, type PoolRow } from '../repository/pools.ts';
import type { Queries, Transaction } from '../store/store.ts';

/** Typed text that is not an e-mail address (core/text.ts says what is). */
export const notAnEmail = (typed: string) => fail('BAD_REQUEST', `"${typed}" ${NOT_AN_EMAIL}`);

/** The canonical form of a typed machine ID, or BAD_REQUEST saying what is wrong with it. */
export const checkMachineId = (input: string): string => {
  const parsed = parseMachineId(input);
  if (!parsed.ok) throw fail('BAD_REQUEST', `"${input}" is not a machine ID: ${parsed.reason}`);
  return parsed.machineId;
};

export const orgOrFail = async (q: Queries, orgId: number): Promise<void> => {
  if (!(await orgExists(q, orgId))) throw fail('NOT_FOUND', `organisation ${orgId} does not exist`);
};

/** The pool `ref` names (core/pool-ref.ts pickPool: `preferred` when none is named and both exist). */
export const poolOrFail = async (
  q: Queries,
  orgId: number,
  ref: PoolRef,
  preferred?: PoolModel,
): Promise<PoolRow> => {
  await orgOrFail(q, orgId);
  const picked = pickPool(await poolsOf(q, orgId, ref.product), ref, orgId, preferred);
  if ('code' in picked) throw fail(picked.code, picked.message);
  return picked;
};

/**
 * The pool `ref` names, locked and read again under its lock: a change committed since it was
 * found (the operator's quota, say) is what the caller decides on.
 */
export const lockedPoolOrFail = async (
  tx: Transaction,
  orgId: number,
  ref: PoolRef,
): Promise<PoolRow> => {
  const found = await poolOrFail(tx, orgId, ref);
  await tx.lockPool(found.id);
  return (await poolById(tx, found.id))!;
};

export const memberOrFail = async (q: Queries, orgId: number, email: string): Promise<User> => {
  const user = await userByEmail(q, email);
  if (!user || !(await isMember(q, orgId, user.id)))
    throw fail(
      'NOT_FOUND',
      // The fix where the caller is: the console's People page, or the admin CLI.
      `${email} is not a member of organisation ${orgId}: ${currentActor().operator ? 'add them with "user add"' : 'invite them on the People page first'}`,
    );
  return user;
};
