import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ALPHABET, formatMachineId, parseMachineId } from '../../src/core/machine-id/format.ts';

const ids = fc.uint8Array({ minLength: 12, maxLength: 32 }).map((bytes) => formatMachineId(bytes));

describe('machine ID format', () => {
  it('is 23 characters, grouped 5-5-5-5, file-name safe, and parses back to itself', () => {
    fc.assert(
      fc.property(ids, (id) => {
        expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
        expect(id.length).toBeLessThanOrEqual(40);
        expect(parseMachineId(id)).toEqual({ ok: true, machineId: id });
      }),
    );
  });

  it('tolerates any case, surrounding white space, and missing hyphens', () => {
    fc.assert(
      fc.property(
        ids,
        fc.constantFrom(' ', '\t', '\n', '  \r\n'),
        fc.boolean(),
        (id, ws, compact) => {
          const typed = (compact ? id.replaceAll('-', '') : id).toLowerCase();
          expect(parseMachineId(`${ws}${typed}${ws}`)).toEqual({ ok: true, machineId: id });
        },
      ),
    );
  });

  it('rejects every single-character substitution', () => {
    fc.assert(
      fc.property(ids, (id) => {
        for (let i = 0; i < id.length; i++) {
          for (const ch of `${ALPHABET}-ILOU_ .`) {
            if (ch === id[i]) continue;
            const typo = id.slice(0, i) + ch + id.slice(i + 1);
            expect(parseMachineId(typo).ok, `${typo} from ${id}`).toBe(false);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('rejects every swap of two adjacent different characters (hyphens included)', () => {
    fc.assert(
      fc.property(ids, (id) => {
        for (let i = 0; i + 1 < id.length; i++) {
          if (id[i] === id[i + 1]) continue;
          const swapped = id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2);
          expect(parseMachineId(swapped).ok, `${swapped} from ${id}`).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('explains what is wrong', () => {
    expect(parseMachineId('ABC')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('20 characters'),
    });
    expect(parseMachineId('IIIII-IIIII-IIIII-IIIII')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"I"'),
    });
  });
});
