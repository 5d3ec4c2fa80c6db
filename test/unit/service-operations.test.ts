// The service's parts are gathered into one object by operations(): a name in two parts must not
// silently replace the first. The check is the type checker's (npx tsc --noEmit runs over test/).
import { describe, expect, it } from 'vitest';
import { operations } from '../../src/server/service/operations.ts';

describe('service operations', () => {
  it('gathers the groups into one object', () => {
    expect(operations({ a: 1 }, { b: 2 }, { c: 3 })).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('does not compile when two groups name the same operation', () => {
    // @ts-expect-error: 'grant' is in the first and the third group
    const merged = operations({ grant: 1 }, { b: 2 }, { grant: 3 });
    expect(merged).toBeDefined();
  });
});
