import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  activationOrder,
  parsePoolName,
  pickPool,
  poolName,
  refusalOfAll,
  triesNextPool,
  type PoolRef,
} from '../../src/core/pool-ref.ts';
import type { Refusal } from '../../src/core/quota.ts';
import { POOL_MODELS, PRODUCTS, type PoolModel } from '../../src/core/vocabulary.ts';

const ref = fc.record(
  { product: fc.constantFrom(...PRODUCTS), model: fc.constantFrom(...POOL_MODELS) },
  { requiredKeys: ['product'] },
);
const pools = fc.subarray([...POOL_MODELS]).map((models) => models.map((model) => ({ model })));

describe('pool names', () => {
  it('a name reads back as the pool it names, and nothing else reads as a pool', () => {
    fc.assert(
      fc.property(ref, (r: PoolRef) => {
        expect(parsePoolName(poolName(r))).toEqual(r);
      }),
    );
    for (const bad of ['', 'kre', 'KRE-', 'KRE-nodelocked', 'XYZ', 'KRE-floating-x', '-floating'])
      expect(parsePoolName(bad)).toBeNull();
  });
});

describe('which pool an operation means', () => {
  it('the named model, the only pool, the preferred one, or a refusal that says what to name', () => {
    fc.assert(
      fc.property(
        pools,
        ref,
        fc.option(fc.constantFrom(...POOL_MODELS), { nil: undefined }),
        (held, r, preferred) => {
          const picked = pickPool(held, r, 7, preferred);
          const wanted: PoolModel | undefined =
            r.model ?? (held.length === 1 ? held[0].model : preferred);
          const exists = held.some((p) => p.model === wanted);
          if (exists) expect(picked).toEqual({ model: wanted });
          else if (held.length === 2 && wanted === undefined)
            expect(picked).toMatchObject({
              code: 'BAD_REQUEST',
              message: expect.stringMatching(/--model node-locked or --model floating/),
            });
          else expect(picked).toMatchObject({ code: 'NO_POOL' });
        },
      ),
    );
  });

  it('says which pool the organisation does have', () => {
    expect(pickPool([{ model: 'node-locked' }], { product: 'KRE', model: 'floating' }, 3)).toEqual({
      code: 'NO_POOL',
      message: 'organisation 3 has no KRE floating license pool (it has a node-locked one)',
    });
  });
});

describe('the activation rule', () => {
  it('tries node-locked before floating, whatever order the pools come in', () => {
    fc.assert(
      fc.property(pools, (held) => {
        const order = activationOrder([...held].reverse()).map((p) => p.model);
        expect(order).toEqual(POOL_MODELS.filter((m) => held.some((p) => p.model === m)));
      }),
    );
  });

  it('a full or expired pool passes on to the next; other refusals end the activation', () => {
    for (const code of [
      'QUOTA_EXCEEDED',
      'MACHINE_QUOTA_EXCEEDED',
      'SUBSCRIPTION_EXPIRED',
    ] as const)
      expect(triesNextPool({ code, message: '' })).toBe(true);
    for (const code of ['NOT_A_MEMBER', 'NOT_LICENSED_USER', 'NO_POOL'] as const)
      expect(triesNextPool({ code, message: '' })).toBe(false);
  });

  it('when every pool refused: the retryable refusal if any, with each reason', () => {
    const machines: Refusal = { code: 'MACHINE_QUOTA_EXCEEDED', message: 'all 2 machines' };
    const seats: Refusal = { code: 'QUOTA_EXCEEDED', message: 'all 3 in use' };
    expect(
      refusalOfAll([
        { model: 'node-locked', refusal: machines },
        { model: 'floating', refusal: seats },
      ]),
    ).toEqual({
      code: 'QUOTA_EXCEEDED',
      message: 'node-locked: all 2 machines; floating: all 3 in use',
    });
    expect(refusalOfAll([{ model: 'floating', refusal: machines }])).toBe(machines);
  });
});
