// A user's organisations, and their own API keys in one (any role).
import type { Role } from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { action, layout, minute, ROLE_NAMES, table, type Viewer } from './layout.ts';

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
              ${k.revoked ? '' : action(viewer, link('orgs', org.id, 'api-keys', k.id, 'revoke'), 'Revoke', {}, `Revoke the key ${k.prefix}`)}
            </td>
          </tr>`,
      ),
    )}
    ${action(viewer, link('orgs', org.id, 'api-keys'), 'Create an API key')}`,
  );
