// HTML written as tagged templates: every interpolated value is escaped unless it is already HTML
// (made by `html` itself), so that no name, e-mail or message from the database can inject markup,
// and its control and bidirectional characters are shown as escapes (\u202e), so that none can
// reorder or hide what is around it (text stored before the server refused them).
import { printable } from '../../core/text.ts';

const SAFE = Symbol('html');

export interface Html {
  readonly [SAFE]: string;
}

const escape = (value: string): string =>
  printable(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

type Part = Html | string | number | null | undefined | false | readonly Part[];

const render = (part: Part): string => {
  if (part === null || part === undefined || part === false) return '';
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  if (typeof part === 'object') return (part as Html)[SAFE];
  return escape(String(part));
};

export const html = (strings: TemplateStringsArray, ...values: Part[]): Html => ({
  [SAFE]: strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''),
});

export const toText = (page: Html): string => page[SAFE];
