// Which of an organisation's pools is meant. An organisation holds at most one pool of a product
// per license model, so node-locked and floating pools of one product stand side by side (as in
// Katalon's License Management); a pool is named by both, KRE-floating, and the bare product names
// the organisation's only pool of it. Activations pick a pool by the order below.
import type { Refusal } from './quota.ts';
import { POOL_MODELS, PRODUCTS, type PoolModel, type Product } from './vocabulary.ts';

/** A pool, as an operation names it: `model` may be left out where the product has one pool. */
export interface PoolRef {
  product: Product;
  model?: PoolModel;
}

/** A pool's name in paths: KRE-node-locked, KRE-floating; KRE alone when no model is named. */
export const poolName = (p: PoolRef): string => (p.model ? `${p.product}-${p.model}` : p.product);

/** What a pool name may be (the HTTP schemas' pattern). */
export const POOL_NAME_PATTERN = `^(${PRODUCTS.join('|')})(-(${POOL_MODELS.join('|')}))?$`;
const POOL_NAME = new RegExp(POOL_NAME_PATTERN);

export const parsePoolName = (name: string): PoolRef | null => {
  const m = POOL_NAME.exec(name);
  if (!m) return null;
  return m[3]
    ? { product: m[1] as Product, model: m[3] as PoolModel }
    : { product: m[1] as Product };
};

/** A pool in messages and the audit log: "KRE floating". */
export const poolLabel = (p: { product: Product; model: PoolModel }): string =>
  `${p.product} ${p.model}`;

/** "the KRE floating pool" without "the". */
export const poolTitle = (p: { product: Product; model: PoolModel }): string =>
  `${poolLabel(p)} pool`;

/**
 * The pool of `pools` (an organisation's pools of `ref.product`) that `ref` names, or why none:
 * the one of its model; with no model, the only one, else `preferred` (offline licenses come from
 * node-locked pools only), else the caller must name one.
 */
export const pickPool = <P extends { model: PoolModel }>(
  pools: readonly P[],
  ref: PoolRef,
  orgId: number,
  preferred?: PoolModel,
): P | Refusal => {
  const model = ref.model ?? (pools.length > 1 ? preferred : undefined);
  const found = model === undefined ? pools : pools.filter((p) => p.model === model);
  if (found.length === 1) return found[0];
  if (found.length > 1)
    return {
      code: 'BAD_REQUEST',
      message: `organisation ${orgId} has a node-locked and a floating ${ref.product} pool: name one (--model node-locked or --model floating; in the admin API's path ${ref.product}-node-locked or ${ref.product}-floating)`,
    };
  const other = pools[0] ? ` (it has a ${pools[0].model} one)` : '';
  return {
    code: 'NO_POOL',
    message: `organisation ${orgId} has no ${model ? `${ref.product} ${model}` : ref.product} license pool${other}`,
  };
};

/**
 * The order in which an activation tries the pools it may use: node-locked first (those seats are
 * bought for the organisation's own machines), then floating.
 */
export const activationOrder = <P extends { model: PoolModel }>(pools: readonly P[]): P[] =>
  [...pools].sort((a, b) => POOL_MODELS.indexOf(a.model) - POOL_MODELS.indexOf(b.model));

/** Whether an activation refused by one pool tries the next: it is full or over. */
export const triesNextPool = (refusal: Refusal): boolean =>
  refusal.code === 'QUOTA_EXCEEDED' ||
  refusal.code === 'MACHINE_QUOTA_EXCEEDED' ||
  refusal.code === 'SUBSCRIPTION_EXPIRED';

/**
 * What an activation answers when every pool it tried refused: a full pool's refusal if there is
 * one (a seat may free: katalonc retries it), else the first; each pool's reason in the message.
 */
export const refusalOfAll = (tried: readonly { model: PoolModel; refusal: Refusal }[]): Refusal => {
  if (tried.length === 1) return tried[0].refusal;
  const chosen = (tried.find((t) => t.refusal.code === 'QUOTA_EXCEEDED') ?? tried[0]).refusal;
  return {
    code: chosen.code,
    message: tried.map((t) => `${t.model}: ${t.refusal.message}`).join('; '),
  };
};
