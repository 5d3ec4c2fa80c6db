// Strict readers for numbers and dates typed by people (the admin CLI) or sent as text: "1e300",
// "0x10", "" and "2027-02-30" are refused, not read as something else. Pure.
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A whole number written in decimal digits only, from `min` to `max`. */
export const wholeNumber = (text: string, min: number, max: number): Parsed<number> => {
  if (!/^[0-9]{1,15}$/.test(text.trim()))
    return { ok: false, reason: `must be a whole number written in digits, not "${text}"` };
  const value = Number(text.trim());
  return value < min || value > max
    ? { ok: false, reason: `must be from ${min} to ${max}, not ${value}` }
    : { ok: true, value };
};

/** A calendar day YYYY-MM-DD that exists, as its last millisecond (UTC); or an ISO 8601 instant. */
export const dayOrInstant = (text: string): Parsed<number> => {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const date = new Date(Date.UTC(y, m - 1, d, 23, 59, 59, 999));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
      return { ok: false, reason: `"${text}" is not a day of the calendar` };
    return { ok: true, value: date.getTime() };
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text.trim())) {
    const value = Date.parse(text.trim());
    if (!Number.isNaN(value)) return { ok: true, value };
  }
  return { ok: false, reason: `"${text}" is not a date (YYYY-MM-DD)` };
};

/**
 * The address users reach a server at (KLS_PUBLIC_URL): http: or https:, a host, perhaps a path
 * (behind a proxy), no credentials, query or fragment; without its trailing slashes.
 */
export const publicAddress = (text: string): Parsed<string> => {
  // Said back without what precedes an "@" (a user and password, as in KLS_SMTP_URL).
  const shown = text.replace(/\/\/[^/]*@/, '//…@');
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return {
      ok: false,
      reason: `"${shown}" is not an address such as https://licenses.example.com`,
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `"${shown}" is not an http:// or https:// address` };
  if (url.username || url.password || url.search || url.hash)
    return { ok: false, reason: `"${url.origin}…" must hold no user, password, query or fragment` };
  return { ok: true, value: `${url.origin}${url.pathname}`.replace(/\/+$/, '') };
};

/** Whether an http(s) address reaches only this machine: a link to it works for nobody else. */
export const isLoopbackAddress = (url: string): boolean => {
  let host: string;
  try {
    host = new URL(url).hostname; // "127.1" reads as 127.0.0.1
  } catch {
    return false;
  }
  return /^(127(\.\d+){3}|0\.0\.0\.0|\[::1?\]|localhost)$/i.test(host);
};
