// A user's organisations, and their own API keys in one (any role).
import { generatedCommand, shellLine } from '../../../core/katalonc/generated-command.ts';
import { ROLE_NAMES, type Product, type Role } from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { action, layout, minute, table, type Viewer } from './layout.ts';

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
                    : html`<a href="${link('orgs', o.id, 'licenses')}"
                        >${o.name}: License Management</a
                      >`
                } <span class="muted">(${ROLE_NAMES[o.role]})</span> ·
                <a href="${link('orgs', o.id, 'api-keys')}">Your API keys for ${o.name}</a>
              </li> `,
          )}
        </ul>`,
  );

/** How a Member's CI uses a key: the engine once per agent, then katalonc's line per product. */
const useInCi = (org: { id: number }, ci: { serverUrl: string; products: Product[] }): Html =>
  html`<h2>Use a key in CI</h2>
    <p>
      Keep the key in your CI's secret store as <code>KATALON_API_KEY</code>, never on the command
      line (every user of the machine sees it in <code>ps</code>). Once per agent, tell katalonc
      where Katalon's test engine is:
    </p>
    <pre><code>katalonc engine /opt/kre/katalonc-engine</code></pre>
    ${
      ci.products.length === 0
        ? html`<p class="muted">
            This organisation has no licenses yet: ask its Owner or an Admin.
          </p>`
        : html`<p>
              Then Katalon's own command line runs as it is, with these options in it (the runner
              options, <code>-projectPath</code>, <code>-testSuitePath</code> and the rest, go to
              the engine unchanged):
            </p>
            ${ci.products.map(
              (product) =>
                html`<pre><code>${shellLine(generatedCommand({ orgId: org.id, serverUrl: ci.serverUrl, product, licenseRelease: false }))}</code></pre>`,
            )}`
    }`;

export const apiKeysPage = (
  viewer: Viewer,
  org: { id: number; name: string },
  keys: { id: number; prefix: string; createdAt: string; revoked: boolean }[],
  ci: { serverUrl: string; products: Product[] },
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
              ${k.revoked ? '' : action(viewer, link('orgs', org.id, 'api-keys', k.id, 'revoke'), 'Revoke', {}, `Revoke the key ${k.prefix}`)}
            </td>
          </tr>`,
      ),
    )}
    ${action(viewer, link('orgs', org.id, 'api-keys'), 'Create an API key')} ${useInCi(org, ci)}`,
  );
