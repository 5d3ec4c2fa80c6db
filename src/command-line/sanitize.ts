// Text that came from elsewhere (host names, OS user names, server results) is shown with its
// control characters escaped: a name must not be able to move the cursor, recolour the
// terminal, rewrite earlier lines or reorder the text around it (the rule: core/text.ts).
import { printable } from '../core/text.ts';

/** Every string inside a JSON-like value, made printable (for the text form of admin results). */
export const printableDeep = (value: unknown): unknown =>
  typeof value === 'string'
    ? printable(value)
    : Array.isArray(value)
      ? value.map(printableDeep)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printableDeep(v)]))
        : value;
