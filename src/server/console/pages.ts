// The console's pages, rendered on the server: plain HTML forms that work without JavaScript and
// with the keyboard alone. Each page is a function of what it shows.
import type { PoolUsage } from '../../core/quota.ts';
import type { Role } from '../../core/vocabulary.ts';
import { html, type Html } from './html.ts';

export interface Viewer {
  email: string;
  csrf: string;
}

const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

const layout = (title: string, viewer: Viewer | undefined, body: Html): Html =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · katalon-license-server</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <a class="brand" href="/console/orgs">katalon-license-server</a>
          ${
            viewer
              ? html`<form method="post" action="/console/sign-out">
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

const errorLine = (message: string | undefined) =>
  message ? html`<p class="error" role="alert">${message}</p>` : '';

export const signInPage = (error?: string, email = ''): Html =>
  layout(
    'Sign in',
    undefined,
    html`${errorLine(error)}
      <form class="stack" method="post" action="/console/sign-in">
        <label
          >E-mail
          <input type="email" name="email" autocomplete="username" required value="${email}"
        /></label>
        <label
          >Password <input type="password" name="password" autocomplete="current-password" required
        /></label>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        New here? Open the invitation link your organisation's Owner or Admin gave you.
      </p>`,
  );

export const invitationPage = (
  invite: { email: string; role: Role; orgName: string },
  action: string,
  minLength: number,
  error?: string,
): Html =>
  layout(
    `Join ${invite.orgName}`,
    undefined,
    html`<p>
        You are invited as <strong>${ROLE_NAMES[invite.role]}</strong> of ${invite.orgName}, as
        <strong>${invite.email}</strong>. Choose a password to accept.
      </p>
      ${errorLine(error)}
      <form class="stack" method="post" action="${action}">
        <input type="hidden" name="email" value="${invite.email}" autocomplete="username" />
        <label
          >Password (at least ${minLength} characters)
          <input
            type="password"
            name="password"
            autocomplete="new-password"
            minlength="${minLength}"
            required
        /></label>
        <label
          >Password again
          <input
            type="password"
            name="confirm"
            autocomplete="new-password"
            minlength="${minLength}"
            required
        /></label>
        <button type="submit">Accept the invitation</button>
      </form>`,
  );

export const orgsPage = (viewer: Viewer, orgs: { id: number; name: string; role: Role }[]): Html =>
  layout(
    'Your organisations',
    viewer,
    orgs.length === 0
      ? html`<p>You are not a member of any organisation.</p>`
      : html`<ul class="orgs">
          ${orgs.map(
            (o) =>
              html`<li>
                ${
                  o.role === 'member'
                    ? html`${o.name}`
                    : html`<a href="/console/orgs/${o.id}/licenses"
                        >${o.name}: License Management</a
                      >`
                } <span class="muted">(${ROLE_NAMES[o.role]})</span>
              </li> `,
          )}
        </ul>`,
  );

export interface PoolView {
  product: string;
  model: string;
  billing: string;
  quota: number;
  available: number;
  machineQuota: number;
  expiresAt: string;
  inUse: PoolUsage;
}

const PRODUCT_NAMES: Record<string, string> = {
  KRE: 'Katalon Runtime Engine (KRE)',
  KSE: 'Katalon Studio Enterprise (KSE)',
};

export const licensesPage = (
  viewer: Viewer,
  org: { name: string; role: Role },
  pools: PoolView[],
): Html =>
  layout(
    `License Management: ${org.name}`,
    viewer,
    html`<p class="muted">You are ${ROLE_NAMES[org.role]} of ${org.name}.</p>
      ${pools.length === 0 ? html`<p>This organisation has no license pools yet.</p>` : ''}
      ${pools.map(
        (p) =>
          html`<section class="product" aria-labelledby="pool-${p.product}">
            <h2 id="pool-${p.product}">${PRODUCT_NAMES[p.product] ?? p.product}</h2>
            <h3>Subscription Details</h3>
            <dl class="facts">
              <dt>Subscribed Licenses</dt>
              <dd>${p.quota}</dd>
              <dt>Available Licenses</dt>
              <dd>
                ${p.available} = ${p.quota} subscribed − (${p.inUse.unexpiredOfflineLicenses}
                offline licenses + ${p.inUse.activeSessions} active online sessions)
              </dd>
              <dt>Machine Quota</dt>
              <dd>${p.machineQuota} (${p.inUse.registeredMachines} registered)</dd>
              <dt>Expiry Date</dt>
              <dd><time datetime="${p.expiresAt}">${p.expiresAt.slice(0, 10)}</time></dd>
              <dt>License model</dt>
              <dd>${p.model}</dd>
              <dt>Billing cycle</dt>
              <dd>${p.billing}</dd>
            </dl>
          </section>`,
      )}`,
  );

export const errorPage = (title: string, message: string, viewer?: Viewer): Html =>
  layout(
    title,
    viewer,
    html`<p role="alert">${message}</p>
      <p><a href="/console/orgs">Your organisations</a></p>`,
  );
