// Text that people and clients give the server (names, e-mail addresses, host names) is stored and
// shown again to others: in the console, in `org list`, in the log. One rule for what it may hold,
// used to refuse input (the HTTP schemas and the service) and to escape what is shown anyway (text
// stored before the rule, file names, server messages): no control characters (a newline forges a
// line, an escape sequence rewrites the terminal) and no bidirectional controls (they reorder what
// is shown around them, so that "exe.txt" reads "txt.exe").

// C0, DEL and C1 controls; the Arabic letter mark; LRM/RLM; line and paragraph separators; the
// bidirectional embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
export const UNSAFE =
  '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** A JSON-schema pattern (and RegExp source) that only safe text matches. */
export const SAFE_TEXT_PATTERN = `^[^${UNSAFE}]*$`;
const SAFE_TEXT = new RegExp(SAFE_TEXT_PATTERN, 'u');
const UNSAFE_CHARACTER = new RegExp(`[${UNSAFE}]`, 'gu');

/**
 * An e-mail address as this server takes one: a dot-atom name (letters, digits, .!#$%&'*+/=?^_`{|}~-)
 * @ a domain of letters, digits, hyphens and at least one dot. ASCII only, so that no address can
 * look like another's ("о" Cyrillic, "ｏ" full-width); none of ",;<>()\"" or spaces, with which
 * a mailer reads another mailbox than the account's ('a@x.test, b@evil.test', '"a@x.test" <b@evil.test>').
 */
export const EMAIL_PATTERN = "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$";
const EMAIL = new RegExp(EMAIL_PATTERN);

/** What follows "… is not an e-mail address", wherever one is refused (HTTP schemas, the service). */
export const NOT_AN_EMAIL =
  'is not an e-mail address: name@domain, in ASCII letters, digits and .+-_ (no spaces, commas, quotes or <>)';

export const isSafeText = (text: string): boolean => SAFE_TEXT.test(text);

/** The canonical form of a typed e-mail address (spaces around it dropped, lower case), or undefined if it is not one. */
export const canonicalEmail = (typed: string): string | undefined => {
  const email = typed.trim().toLowerCase();
  return EMAIL.test(email) ? email : undefined;
};

/** The text with every unsafe character shown as an escape (\x1b, \u202e) instead of acting. */
export const printable = (text: string): string =>
  text.replace(UNSAFE_CHARACTER, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });

/** A time (ms since the epoch) as the server's answers and audit log write it: ISO 8601, UTC. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** "1 offline license", "2 offline licenses": a count with its noun (regular plurals only). */
export const count = (n: number, thing: string): string => `${n} ${thing}${n === 1 ? '' : 's'}`;
