// The License Management page of an organisation, as Katalon's shows it: per product its
// subscription, licensed users, online sessions, offline licenses, machines and the command line.
import { generatedCommand, shellLine } from '../../../core/katalonc/generated-command.ts';
import { licenseFileName } from '../../../core/license/format.ts';
import { poolName } from '../../../core/pool-ref.ts';
import { issuesOffline, OUTAGE_GRACE_MINUTES, type PoolUsage } from '../../../core/quota.ts';
import { memberMay } from '../../../core/roles.ts';
import {
  ROLE_NAMES,
  type Billing,
  type LicenseKind,
  type PoolModel,
  type Product,
  type Role,
} from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { count } from '../../../core/text.ts';
import type { PoolPaging } from '../../../core/wire/shapes.ts';
import { action, day, layout, minute, table, type Viewer } from './layout.ts';

export interface PoolView {
  product: Product;
  model: PoolModel;
  billing: Billing;
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
    kind: LicenseKind;
    issuedAt: string;
    expiresAt: string;
    /** Its file was kept: it can be downloaded again. */
    downloadable: boolean;
  }[];
  /** The latest expiry an offline license issued now may have (core/quota.ts offlineExpiry). */
  latestOfflineExpiry: string;
  registeredMachines: {
    machineId: string;
    hostname: string | null;
    firstSeen: string;
    lastSeen: string;
  }[];
  /** What the lists above are: pages of how many found (the filter's prefix, if any). */
  paging: {
    prefix?: string;
    sessions: { found: number; older?: string };
    machines: { found: number; older?: string };
  };
}

/**
 * Where the page stands: the pool whose lists are paged or filtered (named as in its links), and
 * where; the other pools show their newest. Kept by every link and form of the page, so that an
 * action done on a later page comes back to it.
 */
export type Where = PoolPaging & { pool?: string };

/** The address query of `where` ('' when it is the first page of everything), with its `?`. */
export const whereQuery = (where: Where): string => {
  const q = new URLSearchParams();
  for (const name of ['pool', 'sessionsBefore', 'machinesBefore', 'prefix'] as const) {
    const value = where[name];
    if (value) q.set(name, value);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
};

/** A list's caption: how many it finds in all (and by what), newest first; on a later page, so. */
const listCaption = (
  what: string,
  unit: string,
  found: number,
  total: number,
  prefix: string | undefined,
  later: boolean,
) => {
  const by = prefix === undefined ? '' : ` starting with "${prefix}"`;
  if (found === 0) return `${what}${by}`; // the table says "none"
  const how = prefix === undefined ? count(total, unit) : `${found} of ${total}${by}`;
  return `${what}: ${how}, newest first${later ? ' (an older page)' : ''}`;
};

/** Under a list: back to its newest page, on to its older one (the other list stays where it is). */
const pager = (
  page: string,
  where: Where,
  cursor: 'sessionsBefore' | 'machinesBefore',
  older: string | undefined,
  what: string,
): Html => {
  const { [cursor]: current, ...rest } = where;
  const links = [
    current ? html`<a href="${page}${whereQuery(rest)}">Newest ${what}</a>` : '',
    older
      ? html`<a href="${page}${whereQuery({ ...rest, [cursor]: older })}">Older ${what}</a>`
      : '',
  ];
  return current || older ? html`<p class="pager">${links}</p>` : html``;
};

const PRODUCT_NAMES: Record<string, string> = {
  KRE: 'Katalon Runtime Engine (KRE)',
  KSE: 'Katalon Studio Enterprise (KSE)',
};
const MODEL_NAMES: Record<PoolModel, string> = {
  'node-locked': 'Node-locked',
  floating: 'Floating',
};

/** The outage grace, and for Owners the form that changes it (it weighs outages against seats). */
const outageGrace = (
  viewer: Viewer,
  role: Role,
  base: string,
  p: PoolView,
  id: string,
  back: string,
): Html =>
  memberMay(role, { kind: 'change-outage-grace' })
    ? html`<form class="row" method="post" action="${base}/outage-grace${back}">
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

/** The offline licenses of a pool that issues them, and the form that issues one. */
const offlineLicenses = (
  viewer: Viewer,
  p: PoolView,
  base: string,
  id: (what: string) => string,
  back: string,
): Html =>
  html`${table(
      'Offline and testing licenses',
      ['Machine ID', 'Kind', 'Issued', 'Expires', ''],
      p.offlineLicenses.map(
        (l) =>
          html`<tr>
            <td><code>${l.machineId}</code></td>
            <td>${l.kind}</td>
            <td>${day(l.issuedAt)}</td>
            <td>${day(l.expiresAt)}</td>
            <td>
              ${l.downloadable ? html`<a href="${base}/offline-licenses/${l.id}" aria-label="Download the ${l.kind} license of ${l.machineId} again">Download</a>` : ''}
            </td>
          </tr>`,
      ),
    )}
    <form
      class="stack"
      method="post"
      action="${base}/offline-licenses${back}"
      autocomplete="off"
      data-machine-id-form
    >
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
      <label
        ><span>Expires on (empty: the latest, ${p.latestOfflineExpiry.slice(0, 10)})</span>
        <input type="date" name="expires" max="${p.latestOfflineExpiry.slice(0, 10)}"
      /></label>
      <button type="submit" name="kind" value="testing">Create Testing License</button>
      <label class="check"
        ><input type="checkbox" name="confirm" value="yes" /> I understand: an offline license
        cannot be revoked for 60 days and uses one of the ${p.quota} licenses</label
      >
      <button type="submit" name="kind" value="offline">Create Offline License</button>
    </form>`;

const poolSection = (
  viewer: Viewer,
  org: { id: number; role: Role },
  p: PoolView,
  serverUrl: string,
  /** The organisation also has a node-locked pool of this product, which runs take first. */
  pinned: boolean,
  /** Where the page stands: its forms come back there. */
  where: Where,
): Html => {
  const orgId = org.id;
  const name = poolName(p);
  const base = link('orgs', orgId, 'pools', name);
  const page = link('orgs', orgId, 'licenses');
  const back = whereQuery(where);
  // This pool's lists: where the page has them, if it is this pool's; else their newest.
  const mine: Where = { ...(where.pool === name ? where : {}), pool: name };

  const id = (what: string) => `${name}-${what}`;
  return html`<section class="product" aria-labelledby="${id('title')}">
    <h2 id="${id('title')}">${PRODUCT_NAMES[p.product] ?? p.product}: ${MODEL_NAMES[p.model]}</h2>
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
      ${
        // A floating pool's sessions may run on any machine: it has no machine quota to show.
        p.model === 'node-locked'
          ? html`<dt>Machine Quota</dt>
              <dd>${p.machineQuota} (${p.inUse.registeredMachines} registered)</dd>`
          : html`<dt>Machines seen</dt>
              <dd>${p.inUse.registeredMachines} (a floating pool has no machine quota)</dd>`
      }
      <dt>Expiry Date</dt>
      <dd>${day(p.expiresAt)}</dd>
      <dt>License model</dt>
      <dd>${p.model}</dd>
      <dt>Billing cycle</dt>
      <dd>${p.billing}</dd>
      <dt>Outage grace</dt>
      <dd>
        ${outageGrace(viewer, org.role, base, p, id('grace-help'), back)}
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
                      ${action(viewer, `${base}/licensed-users/remove${back}`, 'Remove', { email: e }, `Remove ${e}`)}
                    </td>
                  </tr>`,
              ),
            )}
            <form class="row" method="post" action="${base}/licensed-users${back}">
              <input type="hidden" name="_csrf" value="${viewer.csrf}" />
              <label>Member's e-mail <input type="email" name="email" required /></label>
              <button type="submit">Add licensed user</button>
            </form>`
        : ''
    }
    <form class="row" method="get" action="${page}">
      <input type="hidden" name="pool" value="${name}" />
      <label
        >Find sessions and machines
        <input
          type="search"
          name="prefix"
          maxlength="100"
          value="${p.paging.prefix ?? ''}"
          aria-describedby="${id('find-help')}"
      /></label>
      <button type="submit">Find</button>
      ${p.paging.prefix === undefined ? '' : html`<a href="${page}${whereQuery({ pool: name })}">Show all</a>`}
      <span id="${id('find-help')}" class="muted"
        >by how a machine ID, hostname or user e-mail starts</span
      >
    </form>
    <h3>Online Licenses</h3>
    <div id="${id('online')}" data-live="${page}${back}">
      ${table(
        listCaption(
          'Online sessions',
          'session',
          p.paging.sessions.found,
          p.inUse.activeSessions,
          p.paging.prefix,
          Boolean(mine.sessionsBefore),
        ),
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
                  ${action(viewer, `${link('orgs', orgId, 'sessions', s.id, 'terminate')}${back}`, 'Terminate', {}, `Terminate the session of ${s.machineId}`)}
                </details>
              </td>
            </tr>`,
        ),
      )}
      ${pager(page, mine, 'sessionsBefore', p.paging.sessions.older, 'sessions')}
    </div>
    <h3>Offline Licenses</h3>
    ${issuesOffline(p) ? offlineLicenses(viewer, p, base, id, back) : html`<p class="muted">A ${p.model}, ${p.billing} pool serves online sessions only: offline licenses come from a node-locked pool billed yearly.</p>`}
    <h3>Registered Machines</h3>
    ${table(
      listCaption(
        'Registered machines',
        'machine',
        p.paging.machines.found,
        p.inUse.registeredMachines,
        p.paging.prefix,
        Boolean(mine.machinesBefore),
      ),
      ['Machine ID', 'Hostname', 'First seen', 'Last seen', ''],
      p.registeredMachines.map(
        (m) =>
          html`<tr>
            <td><code>${m.machineId}</code></td>
            <td>${m.hostname ?? ''}</td>
            <td>${minute(m.firstSeen)}</td>
            <td>${minute(m.lastSeen)}</td>
            <td>
              ${action(viewer, `${base}/machines/remove${back}`, 'Remove', { machineId: m.machineId }, `Remove machine ${m.machineId}`)}
            </td>
          </tr>`,
      ),
    )}
    ${pager(page, mine, 'machinesBefore', p.paging.machines.older, 'machines')}
    <h3>Command line</h3>
    <p>For CI, with the key in the environment variable <code>KATALON_API_KEY</code>:</p>
    <pre><code>${shellLine(generatedCommand({ orgId, serverUrl, product: p.product, licenseRelease: false, ...(pinned ? { model: p.model } : {}) }))}</code></pre>
    ${pinned ? html`<p class="muted"><code>-licenseModel=${p.model}</code> (katalonc's own option) keeps the run to this pool: without it, a run takes the node-locked pool first.</p>` : ''}
    <p class="muted">
      License retry is on by default (20 minutes):
      <code>-licenseRetryMaxDuration=MINUTES</code> waits longer for a free license.
      <code>-licenseRelease=true</code> frees at once what runs on this machine left behind when
      they were killed (a live run's session is never touched).
    </p>
  </section>`;
};

/**
 * What the page says of the license `id` just issued, from the server's record of it: found among
 * the organisation's own unexpired licenses, else nothing (an id from the URL is never shown). Its
 * Download starts by itself where script runs (browser/issued.ts), and stays one click away.
 */
const issuedNotice = (orgId: number, pools: PoolView[], id: string): Html => {
  for (const p of pools) {
    const l = p.offlineLicenses.find((l) => l.id === id);
    if (!l) continue;
    const file = licenseFileName({ product: p.product, machineId: l.machineId, kind: l.kind });
    return html`<div class="done" role="status">
      <p>
        Issued: ${l.kind === 'offline' ? 'an offline' : 'a testing'} license for machine
        <code>${l.machineId}</code> in the ${PRODUCT_NAMES[p.product] ?? p.product} ${p.model} pool,
        valid until ${day(l.expiresAt)}.
        ${l.kind === 'offline' ? 'It cannot be revoked, and uses one license until then.' : 'It proves the machine ID and uses no license.'}
      </p>
      ${
        l.downloadable
          ? html`<p>
              <a
                href="${link('orgs', orgId, 'pools', poolName(p), 'offline-licenses', l.id)}"
                download
                data-download-now
                >Download ${file}</a
              >
              and put it in that machine's license folder (<code>~/.katalon/license</code>).
            </p>`
          : ''
      }
    </div>`;
  }
  return html``;
};

/** What the page says above the pools: an action done or refused, or the license just issued. */
export type LicensesNotice = { error: boolean; text: string } | { issued: string };

export const licensesPage = (
  viewer: Viewer,
  org: { id: number; name: string; role: Role },
  pools: PoolView[],
  serverUrl: string,
  where: Where,
  notice?: LicensesNotice,
): Html =>
  layout(
    `License Management: ${org.name}`,
    viewer,
    html`<p class="muted">
        You are ${ROLE_NAMES[org.role]} of ${org.name}.
        <a href="${link('orgs', org.id, 'people')}">People</a> ·
        <a href="${link('orgs', org.id, 'audit')}">Audit log</a>
      </p>
      ${
        !notice
          ? ''
          : 'issued' in notice
            ? issuedNotice(org.id, pools, notice.issued)
            : html`<p
                class="${notice.error ? 'error' : 'done'}"
                role="${notice.error ? 'alert' : 'status'}"
              >
                ${notice.text}
              </p>`
      }
      ${pools.length === 0 ? html`<p>This organisation has no license pools yet.</p>` : ''}
      ${pools.map((p) =>
        poolSection(
          viewer,
          org,
          p,
          serverUrl,
          p.model !== 'node-locked' &&
            pools.some((q) => q.product === p.product && q.model === 'node-locked'),
          where,
        ),
      )}`,
  );
