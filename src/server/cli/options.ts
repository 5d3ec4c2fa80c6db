// The option types and value parsers the admin commands share (--org, --product, counts, dates):
// a bad value is commander's InvalidArgumentError, which the runner reports with exit code 4.
import { InvalidArgumentError, Option } from 'commander';
import type { PoolRef } from '../../core/pool-ref.ts';
import { POOL_MODELS, PRODUCTS, type PoolModel, type Product } from '../../core/vocabulary.ts';
import { dayOrInstant, wholeNumber } from '../../core/strict.ts';

/** The options every command sees (the program's own). */
export interface Global {
  dataDir: string;
  server?: string;
  json?: boolean;
}

/** The options of a command about one organisation's pool. */
export interface PoolOptions {
  org: number;
  product: Product;
  model?: PoolModel;
}

/** The pool the options name. */
export const poolOf = (o: PoolOptions): PoolRef => ({ product: o.product, model: o.model });

const COUNT_MAX = 1_000_000;
export const positive =
  (what: string, min = 0, max = COUNT_MAX) =>
  (v: string): number => {
    const n = wholeNumber(v, min, max);
    if (!n.ok) throw new InvalidArgumentError(`${what} ${n.reason}`);
    return n.value;
  };
export const date = (v: string): number => {
  const d = dayOrInstant(v);
  if (!d.ok) throw new InvalidArgumentError(d.reason);
  return d.value;
};
export const productOption = () =>
  new Option('--product <product>', PRODUCTS.join(' or ')).choices(PRODUCTS).makeOptionMandatory();
/** Which pool of the product, needed only where the organisation has a node-locked and a floating one. */
export const modelOption = () =>
  new Option(
    '--model <model>',
    'the pool of this license model, where the organisation has both',
  ).choices(POOL_MODELS);
export const orgOption = () =>
  new Option('--org <id>', 'organisation ID')
    .argParser(positive('--org', 1, Number.MAX_SAFE_INTEGER))
    .makeOptionMandatory();
