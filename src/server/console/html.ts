// HTML written as tagged templates: every interpolated value is escaped unless it is already HTML
// (made by `html` itself), so that no name, e-mail or message from the database can inject markup.
const SAFE = Symbol('html');

export interface Html {
  readonly [SAFE]: string;
}

const escape = (value: string): string =>
  value.replace(
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
