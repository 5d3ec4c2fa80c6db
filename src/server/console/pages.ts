// The console's pages, rendered on the server: plain HTML forms that work without JavaScript and
// with the keyboard alone. Each page is a function of what it shows.
import { generatedCommand, shellLine } from '../../core/katalonc/generated-command.ts';
import { OUTAGE_GRACE_MINUTES, type PoolUsage } from '../../core/quota.ts';
import { mayChangeOutageGrace } from '../../core/roles.ts';
import { ROLES, type Product, type Role } from '../../core/vocabulary.ts';
import { html, type Html } from './html.ts';

export interface Viewer {
  email: string;
  csrf: string;
}

const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** A role select's options, `chosen` selected. */
const roleOptions = (chosen: Role) =>
  ROLES.map(
    (r) => html`<option value="${r}" ${r === chosen ? ' selected' : ''}>${ROLE_NAMES[r]}</option>`,
  );

const layout = (title: string, viewer: Viewer | undefined, body: Html): Html =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · katalon-license-server</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml" />
        <script src="/console/assets/console.js" defer></script>
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

/**
 * An invitation link's page: a password form when it makes a new account; for an existing one,
 * signed in as it, one button; otherwise what to do (a link never changes a password).
 */
export const invitationPage = (
  invite: {
    email: string;
    role: Role;
    orgName: string;
    accept: 'password' | 'sign-in' | 'operator';
  },
  path: string,
  minLength: number,
  viewer: Viewer | undefined,
  error?: string,
): Html => {
  const offer = html`You are invited as <strong>${ROLE_NAMES[invite.role]}</strong> of
    ${invite.orgName}, as <strong>${invite.email}</strong>.`;
  const body = () => {
    if (viewer && viewer.email !== invite.email)
      return html`<p>
          This invitation is for ${invite.email}; you are signed in as ${viewer.email}.
        </p>
        ${action(viewer, '/console/sign-out', 'Sign out')}
        <p class="muted">Then open this link again.</p>`;
    if (viewer)
      return html`<p class="muted">
          A role you have already stays if it is higher than the one offered.
        </p>
        ${action(viewer, path, `Accept as ${invite.email}`)}`;
    if (invite.accept === 'sign-in')
      return html`<p>
        ${invite.email} has an account: <a href="/console/sign-in">sign in</a> with its own
        password, then open this link again to accept.
      </p>`;
    if (invite.accept === 'operator')
      return html`<p>
        ${invite.email} has an account without a console password: ask the server's operator for a
        link (<code>katalon-license-server invite</code>).
      </p>`;
    return html`<form class="stack" method="post" action="${path}">
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
    </form>`;
  };
  return layout(
    `Join ${invite.orgName}`,
    viewer,
    html`<p>${offer}</p>
      ${errorLine(error)}${body()}`,
  );
};

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
                } <span class="muted">(${ROLE_NAMES[o.role]})</span> ·
                <a href="/console/orgs/${o.id}/api-keys">Your API keys for ${o.name}</a>
              </li> `,
          )}
        </ul>`,
  );

export const apiKeysPage = (
  viewer: Viewer,
  org: { id: number; name: string },
  keys: { id: number; prefix: string; createdAt: string; revoked: boolean }[],
  created?: string,
): Html =>
  layout(
    `Your API keys: ${org.name}`,
    viewer,
    html`${
      created
        ? html`<div role="status">
            <p class="done">Your new API key, shown this once: copy it now.</p>
            <pre><code>${created}</code></pre>
            <p class="muted">
              Pass it to katalonc as <code>-apiKey</code> or in <code>KATALON_API_KEY</code>.
            </p>
          </div>`
        : ''
    }
    ${table(
      'Your API keys',
      ['Key', 'Created', 'Status', ''],
      keys.map(
        (k) =>
          html`<tr>
            <td><code>${k.prefix}</code></td>
            <td>${minute(k.createdAt)}</td>
            <td>${k.revoked ? 'revoked' : 'active'}</td>
            <td>
              ${k.revoked ? '' : action(viewer, `/console/orgs/${org.id}/api-keys/${k.id}/revoke`, 'Revoke', {}, `Revoke the key ${k.prefix}`)}
            </td>
          </tr>`,
      ),
    )}
    ${action(viewer, `/console/orgs/${org.id}/api-keys`, 'Create an API key')}`,
  );

export const peoplePage = (
  viewer: Viewer,
  org: { id: number; name: string },
  members: { email: string; role: Role }[],
  notice?: { error: boolean; text: string; link?: string },
): Html =>
  layout(
    `People: ${org.name}`,
    viewer,
    html`<p><a href="/console/orgs/${org.id}/licenses">License Management</a></p>
      ${
        notice
          ? html`<div
              class="${notice.error ? 'error' : 'done'}"
              role="${notice.error ? 'alert' : 'status'}"
            >
              <p>${notice.text}</p>
              ${notice.link ? html`<pre><code>${notice.link}</code></pre>` : ''}
            </div>`
          : ''
      }
      ${table(
        'Members',
        ['E-mail', 'Role', '', ''],
        members.map(
          (m) =>
            html`<tr>
              <td>${m.email}</td>
              <td>${ROLE_NAMES[m.role]}</td>
              <td>
                <form class="inline" method="post" action="/console/orgs/${org.id}/people/role">
                  <input type="hidden" name="_csrf" value="${viewer.csrf}" /><input
                    type="hidden"
                    name="email"
                    value="${m.email}"
                  /><label
                    >New role for ${m.email}
                    <select name="role">
                      ${roleOptions(m.role)}
                    </select></label
                  >
                  <button type="submit">Change</button>
                </form>
              </td>
              <td>
                ${action(viewer, `/console/orgs/${org.id}/people/remove`, 'Remove', { email: m.email }, `Remove ${m.email}`)}
              </td>
            </tr>`,
        ),
      )}
      <h2>Invite someone</h2>
      <form class="row" method="post" action="/console/orgs/${org.id}/people/invite">
        <input type="hidden" name="_csrf" value="${viewer.csrf}" />
        <label>E-mail <input type="email" name="email" required /></label>
        <label
          >Role
          <select name="role">
            ${roleOptions('member')}
          </select></label
        >
        <button type="submit">Make an invitation link</button>
      </form>`,
  );

export const auditPage = (
  viewer: Viewer,
  org: { id: number; name: string },
  entries: { at: string; who: string; from: string; action: string; detail: string }[],
): Html =>
  layout(
    `Audit log: ${org.name}`,
    viewer,
    html`<p><a href="/console/orgs/${org.id}/licenses">License Management</a></p>
      ${table(
        'Every change, newest first',
        ['When', 'Who', 'From', 'What', 'Details'],
        entries.map(
          (e) =>
            html`<tr>
              <td>${minute(e.at)}</td>
              <td>${e.who}</td>
              <td>${e.from}</td>
              <td>${e.action}</td>
              <td>${e.detail}</td>
            </tr>`,
        ),
      )}`,
  );

export interface PoolView {
  product: Product;
  model: string;
  billing: string;
  quota: number;
  available: number;
  machineQuota: number;
  expiresAt: string;
  outageGraceMinutes: number;
  /** The counts of all sessions and machines, of which the lists may hold only the first. */
  inUse: PoolUsage;
  licensedUsers: string[];
  onlineSessions: {
    id: string;
    machineId: string;
    hostname: string | null;
    osUser: string | null;
    user?: string;
    startedAt: string;
    leaseExpiresAt: string;
  }[];
  offlineLicenses: {
    id: string;
    machineId: string;
    kind: string;
    issuedAt: string;
    expiresAt: string;
  }[];
  registeredMachines: {
    machineId: string;
    hostname: string | null;
    firstSeen: string;
    lastSeen: string;
  }[];
}

const PRODUCT_NAMES: Record<string, string> = {
  KRE: 'Katalon Runtime Engine (KRE)',
  KSE: 'Katalon Studio Enterprise (KSE)',
};

/** "1 offline license", "2 offline licenses". */
const count = (n: number, thing: string) => `${n} ${thing}${n === 1 ? '' : 's'}`;

const day = (iso: string) => html`<time datetime="${iso}">${iso.slice(0, 10)}</time>`;
const minute = (iso: string) =>
  html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;

/** A form that changes something: posted to `action` with the session's CSRF token. */
const action = (
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

const table = (caption: string, head: string[], all: Html[], total = all.length) => {
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

/** The outage grace, and for Owners the form that changes it (it weighs outages against seats). */
const outageGrace = (viewer: Viewer, role: Role, base: string, p: PoolView, id: string): Html =>
  mayChangeOutageGrace(role)
    ? html`<form class="row" method="post" action="${base}/outage-grace">
        <input type="hidden" name="_csrf" value="${viewer.csrf}" />
        <label
          >Minutes
          <input
            type="number"
            name="minutes"
            min="0"
            max="${OUTAGE_GRACE_MINUTES.max}"
            required
            value="${p.outageGraceMinutes}"
            aria-describedby="${id}"
        /></label>
        <button type="submit">Save outage grace</button>
      </form>`
    : html`${p.outageGraceMinutes} minutes`;

const poolSection = (
  viewer: Viewer,
  org: { id: number; role: Role },
  p: PoolView,
  serverUrl: string,
): Html => {
  const orgId = org.id;
  const base = `/console/orgs/${orgId}/pools/${p.product}`;
  const id = (what: string) => `${p.product}-${what}`;
  return html`<section class="product" aria-labelledby="${id('title')}">
    <h2 id="${id('title')}">${PRODUCT_NAMES[p.product] ?? p.product}</h2>
    <h3>Subscription Details</h3>
    <dl class="facts">
      <dt>Subscribed Licenses</dt>
      <dd>${p.quota}</dd>
      <dt>Available Licenses</dt>
      <dd>
        ${p.available} = ${p.quota} subscribed −
        (${count(p.inUse.unexpiredOfflineLicenses, 'offline license')} +
        ${count(p.inUse.activeSessions, 'active online session')})
      </dd>
      <dt>Machine Quota</dt>
      <dd>${p.machineQuota} (${p.inUse.registeredMachines} registered)</dd>
      <dt>Expiry Date</dt>
      <dd>${day(p.expiresAt)}</dd>
      <dt>License model</dt>
      <dd>${p.model}</dd>
      <dt>Billing cycle</dt>
      <dd>${p.billing}</dd>
      <dt>Outage grace</dt>
      <dd>
        ${outageGrace(viewer, org.role, base, p, id('grace-help'))}
        <p id="${id('grace-help')}" class="muted">
          How long a run that cannot reach this server goes on after its lease runs out. Meanwhile
          its seat may serve another run, so a longer grace rides out longer outages and lets a
          cut-off run share a seat for longer.
        </p>
      </dd>
    </dl>
    ${
      p.product === 'KSE'
        ? html`<h3>Licensed Users</h3>
            ${table(
              'Licensed users',
              ['E-mail', ''],
              p.licensedUsers.map(
                (e) =>
                  html`<tr>
                    <td>${e}</td>
                    <td>
                      ${action(viewer, `${base}/licensed-users/remove`, 'Remove', { email: e }, `Remove ${e}`)}
                    </td>
                  </tr>`,
              ),
            )}
            <form class="row" method="post" action="${base}/licensed-users">
              <input type="hidden" name="_csrf" value="${viewer.csrf}" />
              <label>Member's e-mail <input type="email" name="email" required /></label>
              <button type="submit">Add licensed user</button>
            </form>`
        : ''
    }
    <h3>Online Licenses</h3>
    <div id="${id('online')}" data-live="/console/orgs/${orgId}/licenses">
      ${table(
        'Online sessions',
        ['Machine ID', 'User', 'Hostname', 'OS user', 'Started', 'Lease until', ''],
        p.onlineSessions.map(
          (s) =>
            html`<tr>
              <td><code>${s.machineId}</code></td>
              <td>${s.user ?? ''}</td>
              <td>${s.hostname ?? ''}</td>
              <td>${s.osUser ?? ''}</td>
              <td>${minute(s.startedAt)}</td>
              <td>${minute(s.leaseExpiresAt)}</td>
              <td>
                <details class="confirm">
                  <summary>Terminate…</summary>
                  <p>Its run stops at its next heartbeat.</p>
                  ${action(viewer, `/console/orgs/${orgId}/sessions/${s.id}/terminate`, 'Terminate', {}, `Terminate the session of ${s.machineId}`)}
                </details>
              </td>
            </tr>`,
        ),
        p.inUse.activeSessions,
      )}
    </div>
    <h3>Offline Licenses</h3>
    ${table(
      'Offline and testing licenses',
      ['Machine ID', 'Kind', 'Issued', 'Expires'],
      p.offlineLicenses.map(
        (l) =>
          html`<tr>
            <td><code>${l.machineId}</code></td>
            <td>${l.kind}</td>
            <td>${day(l.issuedAt)}</td>
            <td>${day(l.expiresAt)}</td>
          </tr>`,
      ),
    )}
    <form class="stack" method="post" action="${base}/offline-licenses" data-machine-id-form>
      <input type="hidden" name="_csrf" value="${viewer.csrf}" />
      <label
        ><span>Machine ID (from <code>katalonc --print-machine-id</code>)</span>
        <input
          name="machineId"
          required
          autocomplete="off"
          spellcheck="false"
          aria-describedby="${id('machine-check')}"
          data-machine-id
      /></label>
      <p id="${id('machine-check')}" class="muted" aria-live="polite">
        The last character checks the others: a typo is caught before anything is issued.
      </p>
      <button type="submit" name="kind" value="testing">Create Testing License</button>
      <label class="check"
        ><input type="checkbox" name="confirm" value="yes" /> I understand: an offline license
        cannot be revoked for 60 days and uses one of the ${p.quota} licenses</label
      >
      <button type="submit" name="kind" value="offline">Create Offline License</button>
    </form>
    <h3>Registered Machines</h3>
    ${table(
      'Registered machines',
      ['Machine ID', 'Hostname', 'First seen', 'Last seen', ''],
      p.registeredMachines.map(
        (m) =>
          html`<tr>
            <td><code>${m.machineId}</code></td>
            <td>${m.hostname ?? ''}</td>
            <td>${minute(m.firstSeen)}</td>
            <td>${minute(m.lastSeen)}</td>
            <td>
              ${action(viewer, `${base}/machines/remove`, 'Remove', { machineId: m.machineId }, `Remove machine ${m.machineId}`)}
            </td>
          </tr>`,
      ),
      p.inUse.registeredMachines,
    )}
    <h3>Command line</h3>
    <p>For CI, with the key in the environment variable <code>KATALON_API_KEY</code>:</p>
    <pre><code>${shellLine(generatedCommand({ orgId, serverUrl, product: p.product, licenseRelease: false }))}</code></pre>
    <p class="muted">
      License retry is on by default (20 minutes):
      <code>-licenseRetryMaxDuration=MINUTES</code> waits longer for a free license.
      <code>-licenseRelease=true</code> frees at once what runs on this machine left behind when
      they were killed (a live run's session is never touched).
    </p>
  </section>`;
};

export const licensesPage = (
  viewer: Viewer,
  org: { id: number; name: string; role: Role },
  pools: PoolView[],
  serverUrl: string,
  notice?: { error: boolean; text: string },
): Html =>
  layout(
    `License Management: ${org.name}`,
    viewer,
    html`<p class="muted">
        You are ${ROLE_NAMES[org.role]} of ${org.name}.
        <a href="/console/orgs/${org.id}/people">People</a> ·
        <a href="/console/orgs/${org.id}/audit">Audit log</a>
      </p>
      ${notice ? html`<p class="${notice.error ? 'error' : 'done'}" role="${notice.error ? 'alert' : 'status'}">${notice.text}</p>` : ''}
      ${pools.length === 0 ? html`<p>This organisation has no license pools yet.</p>` : ''}
      ${pools.map((p) => poolSection(viewer, org, p, serverUrl))}`,
  );

export const errorPage = (title: string, message: string, viewer?: Viewer): Html =>
  layout(
    title,
    viewer,
    html`<p role="alert">${message}</p>
      <p><a href="/console/orgs">Your organisations</a></p>`,
  );
