// What every console page shares: the layout (header, who is signed in, Sign out), tables, the
// forms that change something (with the session's CSRF token), times and the error page.
import { ROLE_NAMES, ROLES, type Role } from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';

export interface Viewer {
  email: string;
  csrf: string;
}

/** A role select's options, `chosen` selected. */
/** The roles offered (only those the viewer may give: an Admin is never offered Owner). */
export const roleOptions = (chosen: Role, offered: readonly Role[] = ROLES) =>
  offered.map(
    (r) => html`<option value="${r}" ${r === chosen ? ' selected' : ''}>${ROLE_NAMES[r]}</option>`,
  );

export const layout = (title: string, viewer: Viewer | undefined, body: Html): Html =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · katalon-license-server</title>
        <link rel="stylesheet" href="${link('assets', 'console.css')}" />
        <link rel="icon" href="${link('assets', 'icon.svg')}" type="image/svg+xml" />
        <script src="${link('assets', 'console.js')}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <a class="brand" href="${link('orgs')}">katalon-license-server</a>
          ${
            viewer
              ? html`<form method="post" action="${link('sign-out')}">
                  <span class="muted">${viewer.email}</span>
                  <input type="hidden" name="_csrf" value="${viewer.csrf}" />
                  <button class="link" type="submit">Sign out</button>
                </form>`
              : ''
          }
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;

export const errorLine = (message: string | undefined) =>
  message ? html`<p class="error" role="alert">${message}</p>` : '';

export const day = (iso: string) => html`<time datetime="${iso}">${iso.slice(0, 10)}</time>`;
export const minute = (iso: string) =>
  html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;

/** A form that changes something: posted to `action` with the session's CSRF token. */
export const action = (
  viewer: Viewer,
  path: string,
  label: string,
  fields: Record<string, string> = {},
  name = label,
) =>
  html`<form class="inline" method="post" action="${path}">
    <input
      type="hidden"
      name="_csrf"
      value="${viewer.csrf}"
    />${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}<button
      type="submit"
      aria-label="${name}"
    >
      ${label}
    </button>
  </form>`;

/** A page shows at most this many rows of a list; its caption says how many there are. */
export const ROWS_SHOWN = 100;

export const table = (caption: string, head: string[], all: Html[], total = all.length) => {
  const rows = all.slice(0, ROWS_SHOWN);
  if (total > rows.length) caption = `${caption}: the first ${rows.length} of ${total}`;
  return total === 0
    ? html`<p class="muted">${caption}: none.</p>`
    : html`<table>
        <caption>
          ${caption}
        </caption>
        <thead>
          <tr>
            ${head.map((h) => html`<th scope="col">${h}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>`;
};

export const errorPage = (title: string, message: string, viewer?: Viewer): Html =>
  layout(
    title,
    viewer,
    html`<p role="alert">${message}</p>
      <p><a href="${link('orgs')}">Your organisations</a></p>`,
  );
