// Text that came from elsewhere (host names, OS user names, file names, server messages) is shown
// with its control characters escaped: a name must not be able to move the cursor, recolour the
// terminal or rewrite earlier lines.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export const printable = (text: string): string =>
  text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Every string inside a JSON-like value, made printable (for the text form of admin results). */
export const printableDeep = (value: unknown): unknown =>
  typeof value === 'string'
    ? printable(value)
    : Array.isArray(value)
      ? value.map(printableDeep)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableDeep(v)]))
        : value;
