// What the paged lists of a pool (its machines, its live sessions) share in SQL: a page of rows
// newest first, after a cursor (core/paging.ts), and a prefix test that no index serves.
import type { Cursor } from '../../core/paging.ts';
import type { Param, Queries } from '../store/store.ts';

/**
 * The rows `query` selects (it ends in its WHERE clause), those before `before` when given, newest
 * first by the columns `order` names (when, then the key that orders rows of the same instant): at
 * most `limit`. With an index on (pool, when, key) a page is one range of it.
 */
export const newestFirst = <T>(
  q: Queries,
  [query, params]: [string, Param[]],
  order: { at: string; key: string },
  before: Cursor | undefined,
  limit: number,
): Promise<T[]> =>
  q.all<T>(
    `${query} ${before ? `AND (${order.at}, ${order.key}) < (?, ?)` : ''}
     ORDER BY ${order.at} DESC, ${order.key} DESC LIMIT ${limit}`,
    ...params,
    ...(before ? [before.at, before.key] : []),
  );

/** The count(*) AS n that `query` selects. */
export const countOf = async (q: Queries, [query, params]: [string, Param[]]): Promise<number> =>
  (await q.get<{ n: number }>(query, ...params))!.n;

/** `column` starts with `prefix`, compared as it is stored (no index range: see machinesPage). */
export const startsWith = (column: string, prefix: string): [string, Param[]] => [
  `substr(${column}, 1, ?) = ?`,
  [prefix.length, prefix],
];

/** Terms joined by OR, with their parameters in order. */
export const anyOf = (terms: [string, Param[]][]): [string, Param[]] => [
  `(${terms.map(([sql]) => sql).join(' OR ')})`,
  terms.flatMap(([, params]) => params),
];
