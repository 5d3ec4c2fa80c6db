// A pool's sessions and machines a page at a time, newest first, as the audit log is paged: a page
// is the rows that came before a cursor (the last row shown), never an offset, so that a page is one
// index range however many rows there are, and rows added meanwhile do not shift the next page.
// And the filter: a prefix of a machine ID, a hostname or a user's e-mail.
import { UNSAFE } from './text.ts';

/** Rows on a page, in the console, the admin API and the admin CLI alike. */
export const PAGE_ROWS = 100;

/** Where a page starts: the rows strictly before this one (newest first: older). */
export interface Cursor {
  /** ms since the epoch: when the row began (a machine first seen, a session started). */
  at: number;
  /** What orders rows of the same instant: the machine ID, the session id. */
  key: string;
}

/**
 * A cursor as it travels in a URL: `<ms>.<key>`. JSON-schema pattern of the same: its key is safe
 * text (core/text.ts), as keys are (a NUL in one was a 500 on PostgreSQL, which refuses it in text).
 */
export const CURSOR_PATTERN = `^[0-9]{1,16}\\.[^${UNSAFE}]{1,100}$`;
export const cursorText = (c: Cursor): string => `${c.at}.${c.key}`;
/** The cursor of a text that matched CURSOR_PATTERN. */
export const parseCursor = (text: string): Cursor => {
  const dot = text.indexOf('.');
  return { at: Number(text.slice(0, dot)), key: text.slice(dot + 1) };
};

/** The page's rows, and the cursor of the page after it when there are more. */
export interface Page<T> {
  rows: T[];
  older?: string;
}

/** A page of at most `size` rows, from `fetched` (up to size + 1 rows: one more says there are more). */
export const pageOf = <T>(fetched: T[], size: number, cursorOf: (row: T) => Cursor): Page<T> => {
  const rows = fetched.slice(0, size);
  return fetched.length > size ? { rows, older: cursorText(cursorOf(rows.at(-1)!)) } : { rows };
};

/**
 * What a filter box's text matches, per column: machine IDs are shown upper-case and e-mail
 * addresses are stored lower-case, so either is found however it is typed; a hostname as typed.
 * Null: no filter (nothing typed).
 */
export interface Prefixes {
  machineId: string;
  hostname: string;
  email: string;
}
export const prefixesOf = (typed: string | undefined): Prefixes | null => {
  const text = typed?.trim() ?? '';
  return text === ''
    ? null
    : { machineId: text.toUpperCase(), hostname: text, email: text.toLowerCase() };
};

/**
 * The range of strings that start with `prefix`, as an index reads it (bytes of UTF-8 compared,
 * SQLite's BINARY and PostgreSQL's "C" collation): from the prefix to the prefix followed by the
 * highest code point.
 */
export const prefixRange = (prefix: string): [string, string] => [prefix, `${prefix}\u{10FFFF}`];
