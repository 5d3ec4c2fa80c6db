// The request schemas of the admin API and the console (the client API's are in
// core/wire/client-api.ts), built from the shapes in core/wire/shapes.ts. The type provider derives
// each route's request types from them.
import { Type } from 'typebox';
import { parsePoolName, POOL_NAME_PATTERN, type PoolRef } from '../../core/pool-ref.ts';
import { BILLING_CYCLES, POOL_MODELS, ROLES } from '../../core/vocabulary.ts';
import {
  Count,
  dateTime,
  Email,
  Id,
  MachineId,
  object,
  oneOf,
  OutageGrace,
  Product,
  SessionId,
  text,
} from '../../core/wire/shapes.ts';

export const OrgParams = object({ orgId: Id });
/** A pool in a path: KRE-node-locked, KRE-floating, or KRE for an organisation's only KRE pool. */
const PoolName = Type.String({ pattern: POOL_NAME_PATTERN });
export const PoolParams = object({ orgId: Id, pool: PoolName });
/** The pool a path names (its schema admits only pool names). */
export const poolOfPath = (name: string): PoolRef => parsePoolName(name)!;
export const MemberParams = object({ orgId: Id, email: Email });
export const LicensedUserParams = object({ orgId: Id, pool: PoolName, email: Email });
export const MachineParams = object({ orgId: Id, pool: PoolName, machineId: MachineId });
export const OrgSessionParams = object({ orgId: Id, id: SessionId });
export const OrgKeyParams = object({ orgId: Id, keyId: Id });
export const KeyParams = object({ id: Id });

export const NewOrg = object({ name: text(200) });
export const Member = object({ email: Email });
export const NewInvitation = object({ email: Email, role: oneOf(ROLES) });
export const NewPool = object({
  product: Product,
  model: oneOf(POOL_MODELS),
  billing: oneOf(BILLING_CYCLES),
  quota: Count,
  /** Required for a node-locked pool (the service says so); a floating one enforces none. */
  machineQuota: Type.Optional(Count),
  expiresAt: dateTime,
  outageGraceMinutes: Type.Optional(OutageGrace),
});
/** At least one of them (the service says so). */
export const PoolChange = object({
  quota: Type.Optional(Count),
  machineQuota: Type.Optional(Count),
  expiresAt: Type.Optional(dateTime),
  outageGraceMinutes: Type.Optional(OutageGrace),
});
export const NewOfflineLicense = object({
  machineId: MachineId,
  expiresAt: Type.Optional(dateTime),
  testing: Type.Optional(Type.Boolean()),
  replace: Type.Optional(Type.Boolean()),
});
export const SessionsQuery = object({ orgId: Type.Optional(Id) });
/** The audit log's next page: the entries before this one. */
export const AuditQuery = object({ before: Type.Optional(Id) });
export const TerminateQuery = object({ reason: Type.Optional(text(200)) });
export const MachineTime = object({ machineId: MachineId });
export const CertificateText = object({ text: Type.String({ minLength: 1, maxLength: 16_384 }) });
