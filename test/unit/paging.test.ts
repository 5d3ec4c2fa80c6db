// The paging rules of a pool's sessions and machines (core/paging.ts): cursors survive the URL,
// pages neither lose nor repeat a row, and a prefix's range is exactly the strings it starts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURSOR_PATTERN,
  cursorText,
  pageOf,
  parseCursor,
  prefixesOf,
  prefixRange,
} from '../../src/core/paging.ts';
import { isSafeText } from '../../src/core/text.ts';

// Keys as the server makes them: safe text (no control or bidirectional characters).
const key = fc.string({ minLength: 1, maxLength: 100 }).filter(isSafeText);

describe('paging', () => {
  it('a cursor is read back as it was written, whatever its key (dots, hyphens)', () => {
    fc.assert(
      fc.property(fc.nat(Number.MAX_SAFE_INTEGER), key, (at, k) => {
        const text = cursorText({ at, key: k });
        expect(new RegExp(CURSOR_PATTERN).test(text)).toBe(true);
        expect(parseCursor(text)).toEqual({ at, key: k });
      }),
    );
  });

  it('pages taken one after another, each before the last one shown, hold every row once, newest first', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.nat(50), fc.string({ minLength: 1, maxLength: 3 })), {
          selector: ([at, k]) => `${at}.${k}`,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 7 }),
        (rows, size) => {
          // As the store answers: newest first, by instant then key, those before the cursor.
          const ordered = rows
            .map(([at, k]) => ({ at, key: k }))
            .sort((a, b) => b.at - a.at || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
          const before = (c: { at: number; key: string }) =>
            ordered.filter((r) => r.at < c.at || (r.at === c.at && r.key < c.key));
          const seen = [];
          let next: string | undefined;
          do {
            const from = next === undefined ? ordered : before(parseCursor(next));
            const page = pageOf(from.slice(0, size + 1), size, (r) => r);
            expect(page.rows.length).toBeLessThanOrEqual(size);
            seen.push(...page.rows);
            next = page.older;
          } while (next !== undefined);
          expect(seen).toEqual(ordered);
        },
      ),
    );
  });

  it("a prefix's range holds exactly the strings that start with it, bytes compared (SQLite's BINARY, PostgreSQL's \"C\")", () => {
    const utf8 = (s: string) => Buffer.from(s, 'utf8');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (p, s) => {
        const [from, to] = prefixRange(p);
        const inside =
          Buffer.compare(utf8(s), utf8(from)) >= 0 && Buffer.compare(utf8(s), utf8(to)) < 0;
        expect(inside).toBe(s.startsWith(p));
      }),
    );
    expect(prefixRange('agent-')).toEqual(['agent-', 'agent-\u{10FFFF}']);
  });

  it('the filter: nothing typed is no filter; a machine ID is matched upper-case, an e-mail lower-case, a hostname as typed', () => {
    expect(prefixesOf(undefined)).toBeNull();
    expect(prefixesOf('  ')).toBeNull();
    expect(prefixesOf(' Ci-Agent ')).toEqual({
      machineId: 'CI-AGENT',
      hostname: 'Ci-Agent',
      email: 'ci-agent',
    });
  });
});
