// Request schemas, built from the core's vocabulary so that the HTTP layer accepts exactly the
// values the rules know. The type provider derives each route's request types from them.
import { Type, type TSchema } from 'typebox';
import { OUTAGE_GRACE_MINUTES } from '../../core/quota.ts';
import { BILLING_CYCLES, POOL_MODELS, PRODUCTS, ROLES } from '../../core/vocabulary.ts';
import { EMAIL_PATTERN, SAFE_TEXT_PATTERN } from '../../core/text.ts';

const oneOf = <const T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v as T[number])));

// Names and host names are shown to others: no control or bidirectional characters (core/text.ts).
const text = (max: number) =>
  Type.String({ minLength: 1, maxLength: max, pattern: SAFE_TEXT_PATTERN });
const dateTime = Type.String({ format: 'date-time' });
const object = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

const Product = oneOf(PRODUCTS);
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: EMAIL_PATTERN });
const MachineId = text(64);
const SessionId = Type.String({ pattern: '^[0-9a-f-]{36}$' });
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const OutageGrace = Type.Integer({ minimum: 0, maximum: OUTAGE_GRACE_MINUTES.max });

export const OrgParams = object({ orgId: Id });
export const PoolParams = object({ orgId: Id, product: Product });
export const MemberParams = object({ orgId: Id, email: Email });
export const LicensedUserParams = object({ orgId: Id, product: Product, email: Email });
export const MachineParams = object({ orgId: Id, product: Product, machineId: MachineId });
export const SessionParams = object({ id: SessionId });
export const OrgSessionParams = object({ orgId: Id, id: SessionId });
export const OrgKeyParams = object({ orgId: Id, keyId: Id });
export const KeyParams = object({ id: Id });

export const Activation = object({
  orgId: Id,
  product: Product,
  machineId: MachineId,
  hostname: Type.Optional(text(255)),
  osUser: Type.Optional(text(255)),
});
export const MachineRelease = object({ orgId: Id, product: Product, machineId: MachineId });

export const NewOrg = object({ name: text(200) });
export const Member = object({ email: Email });
export const NewInvitation = object({ email: Email, role: oneOf(ROLES) });
export const NewPool = object({
  product: Product,
  model: oneOf(POOL_MODELS),
  billing: oneOf(BILLING_CYCLES),
  quota: Count,
  machineQuota: Count,
  expiresAt: dateTime,
  outageGraceMinutes: Type.Optional(OutageGrace),
});
export const PoolChange = object({ outageGraceMinutes: OutageGrace });
export const NewOfflineLicense = object({
  machineId: MachineId,
  expiresAt: Type.Optional(dateTime),
  testing: Type.Optional(Type.Boolean()),
  replace: Type.Optional(Type.Boolean()),
});
export const SessionsQuery = object({ orgId: Type.Optional(Id) });
export const TimeQuery = object({ nonce: Type.String({ pattern: '^[0-9a-f]{16,64}$' }) });
export const TerminateQuery = object({ reason: Type.Optional(text(200)) });
export const MachineTime = object({ machineId: MachineId });
