// The shapes the wire schemas are built from (TypeBox), made from the core's vocabulary so that
// the HTTP layer accepts exactly the values the rules know. Data only: the server validates with
// them; katalonc imports only their Static<> types (`import type`), so it never loads TypeBox.
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from 'typebox';
import { CURSOR_PATTERN } from '../paging.ts';
import { OUTAGE_GRACE_MINUTES } from '../quota.ts';
import { PRODUCTS } from '../vocabulary.ts';
import { EMAIL_PATTERN, SAFE_TEXT_PATTERN } from '../text.ts';

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };
/** One of these strings, typed as their union (a plain map of literals is typed `never`). */
export const oneOf = <const T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<Literals<T>>;

// Names and host names are shown to others: no control or bidirectional characters (core/text.ts).
export const text = (max: number) =>
  Type.String({ minLength: 1, maxLength: max, pattern: SAFE_TEXT_PATTERN });
export const dateTime = Type.String({ format: 'date-time' });
/** An object of exactly these properties. */
export const object = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const Product = oneOf(PRODUCTS);
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: EMAIL_PATTERN });
export const MachineId = text(64);
export const SessionId = Type.String({ pattern: '^[0-9a-f-]{36}$' });
export const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });
export const OutageGrace = Type.Integer({ minimum: 0, maximum: OUTAGE_GRACE_MINUTES.max });

/**
 * Where a pool's lists stand (core/paging.ts), in the console's address, the admin API's query
 * and the admin CLI's options alike: each list's page (the cursor after which it starts; none: the
 * newest) and the filter both lists show (a prefix; empty: none, as an empty filter box sends it).
 */
export const PoolPaging = object({
  sessionsBefore: Type.Optional(Type.String({ pattern: CURSOR_PATTERN })),
  machinesBefore: Type.Optional(Type.String({ pattern: CURSOR_PATTERN })),
  prefix: Type.Optional(Type.String({ maxLength: 100, pattern: SAFE_TEXT_PATTERN })),
});
export type PoolPaging = Static<typeof PoolPaging>;
