// The printed machine ID: 19 data symbols + 1 check symbol in Crockford's base32 alphabet (no I, L,
// O, U: nothing to mistake when read aloud), grouped 5-5-5-5 with hyphens, e.g. "7KQ2M-XW9DA-03HTR-BVN4E".
// The check symbol is a Damm-style check over the quasigroup x*y = 2x + y in GF(32): it is totally
// anti-symmetric, so every single substitution and every adjacent swap changes the result.

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DATA_SYMBOLS = 19;
const GROUP = 5;
const SYMBOLS = DATA_SYMBOLS + 1;

const values = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/** Multiplication by x (=2) in GF(2^5) modulo x^5 + x^2 + 1. */
const times2 = (v: number): number => ((v << 1) & 32 ? (v << 1) ^ 0b100101 : v << 1);

const checkState = (symbols: readonly number[]): number =>
  symbols.reduce((state, d) => times2(state) ^ d, 0);

/** The check symbol that brings the state of `data` back to 0. */
const checkSymbol = (data: readonly number[]): number => times2(checkState(data));

const group = (s: string): string => s.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');

/** Formats 95 bits (the first bits of `digest`) as a grouped machine ID with its check symbol. */
export const formatMachineId = (digest: Uint8Array): string => {
  const data: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && data.length < DATA_SYMBOLS) {
      bits -= 5;
      data.push((acc >> bits) & 31);
    }
    acc &= (1 << bits) - 1;
    if (data.length === DATA_SYMBOLS) break;
  }
  if (data.length < DATA_SYMBOLS) throw new RangeError('digest too short for a machine ID');
  return group([...data, checkSymbol(data)].map((v) => ALPHABET[v]).join(''));
};

export type ParsedMachineId = { ok: true; machineId: string } | { ok: false; reason: string };

const HYPHEN_POSITIONS = Array.from(
  { length: SYMBOLS / GROUP - 1 },
  (_, i) => (i + 1) * (GROUP + 1) - 1,
);

/**
 * Accepts a machine ID as a person typed it: any case, surrounding white space, with the hyphens
 * where they belong or none at all. Returns the canonical grouped upper-case form.
 */
export const parseMachineId = (input: string): ParsedMachineId => {
  const text = input.trim().toUpperCase();
  let compact = text;
  if (text.includes('-')) {
    const misplaced = [...text].some((ch, i) => (ch === '-') !== HYPHEN_POSITIONS.includes(i));
    if (misplaced || text.length !== SYMBOLS + HYPHEN_POSITIONS.length) {
      return {
        ok: false,
        reason: `a machine ID has ${SYMBOLS} characters in groups of ${GROUP} (XXXXX-XXXXX-XXXXX-XXXXX)`,
      };
    }
    compact = text.replaceAll('-', '');
  }
  if (compact.length !== SYMBOLS) {
    return { ok: false, reason: `a machine ID has ${SYMBOLS} characters, not ${compact.length}` };
  }
  const symbols: number[] = [];
  for (const ch of compact) {
    const v = values.get(ch);
    if (v === undefined)
      return {
        ok: false,
        reason: `"${ch}" cannot appear in a machine ID (letters I, L, O, U are never used)`,
      };
    symbols.push(v);
  }
  if (checkState(symbols) !== 0) {
    return {
      ok: false,
      reason: 'its check character does not match: a character is mistyped or two are swapped',
    };
  }
  return { ok: true, machineId: group(compact) };
};
