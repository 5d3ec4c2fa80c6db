// The client API's contract (/v1/…, what katalonc asks a license server and what it answers),
// declared once: the server's routes validate requests and write answers by these schemas, the
// service takes their types, and katalonc imports the types only (`import type`).
import { Type, type Static } from 'typebox';
import { POOL_MODELS } from '../vocabulary.ts';
import { dateTime, Id, MachineId, object, oneOf, Product, SessionId, text } from './shapes.ts';

// Requests.
export const SessionParams = object({ id: SessionId });
const Nonce = Type.String({ pattern: '^[0-9a-f]{16,64}$' });
// katalonc's fresh ephemeral X25519 public key (base64url of its 32 raw bytes), for which the
// session's lease key is wrapped in the signed grant (core/license/grant.ts).
const KeyExchange = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });
export const TimeQuery = object({ nonce: Nonce });
// katalonc's fresh nonce (?nonce=), which a heartbeat's MAC or a resume's signed lease grant
// answers, and (a resume) its key for the lease key (?kx=).
export const LeaseRequest = object({ nonce: Type.Optional(Nonce), kx: Type.Optional(KeyExchange) });
export const ActivationRequest = object({
  orgId: Id,
  product: Product,
  machineId: MachineId,
  hostname: Type.Optional(text(255)),
  osUser: Type.Optional(text(255)),
  // Only a pool of this model (katalonc -licenseModel); absent: node-locked first, then floating.
  // Servers before it drop the field unread (Fastify strips unknown properties), so katalonc
  // checks the model of the pool it is given.
  model: Type.Optional(oneOf(POOL_MODELS)),
  // katalonc's fresh nonce, which the session's signed grant answers (core/license/grant.ts).
  nonce: Type.Optional(Nonce),
  kx: Type.Optional(KeyExchange),
});
export const MachineRelease = object({ orgId: Id, product: Product, machineId: MachineId });
export type ActivationRequest = Static<typeof ActivationRequest>;
export type LeaseRequest = Static<typeof LeaseRequest>;
export type MachineRelease = Static<typeof MachineRelease>;

// Answers. Text in them was stored by the server (names from before the safe-text rule too), so
// they say only that it is a string.
export const MemberOrgsAnswer = Type.Object({
  orgs: Type.Array(
    Type.Object({ id: Type.Integer(), name: Type.String(), products: Type.Array(Type.String()) }),
  ),
});
export const LeaseAnswer = Type.Object({
  id: Type.String(),
  leaseExpiresAt: dateTime,
  heartbeatIntervalSeconds: Type.Number(),
  /** The end of the pool's subscription, past which no lease runs (servers before it: absent). */
  subscriptionExpiresAt: Type.Optional(dateTime),
  /** A resume's signed lease grant (core/license/grant.ts), for a nonce, from a server with a certificate. */
  grant: Type.Optional(Type.String()),
  /** A heartbeat's answer for a nonce: the lease's terms under the session's lease key (grant.ts). */
  mac: Type.Optional(Type.String()),
});
const PoolSummary = Type.Object({
  product: Product,
  orgId: Type.Integer(),
  orgName: Type.String(),
  model: oneOf(POOL_MODELS),
  quota: Type.Integer(),
  available: Type.Integer(),
  machineQuota: Type.Integer(),
  expiresAt: dateTime,
  /** How long past its lease a run cut off from the server goes on (servers before it: absent). */
  outageGraceMinutes: Type.Optional(Type.Integer()),
});
export const ActivationAnswer = Type.Object({
  session: LeaseAnswer,
  pool: PoolSummary,
  /** The signed grant (core/license/grant.ts), for a nonce, from a server with a certificate. */
  grant: Type.Optional(Type.String()),
});
export const ReleaseAnswer = Type.Object({ id: Type.String(), released: Type.Boolean() });
export const MachineReleaseAnswer = Type.Object({ released: Type.Integer() });
export const SignedTimeAnswer = Type.Object({ signedTime: Type.String() });
export type MemberOrgsAnswer = Static<typeof MemberOrgsAnswer>;
export type LeaseAnswer = Static<typeof LeaseAnswer>;
export type ActivationAnswer = Static<typeof ActivationAnswer>;
export type MachineReleaseAnswer = Static<typeof MachineReleaseAnswer>;
export type SignedTimeAnswer = Static<typeof SignedTimeAnswer>;
