// The People page of an organisation: members and their roles, and invitation links.
import type { Role } from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { action, layout, ROLE_NAMES, roleOptions, table, type Viewer } from './layout.ts';

export const peoplePage = (
  viewer: Viewer,
  org: { id: number; name: string },
  members: { email: string; role: Role }[],
  notice?: { error: boolean; text: string; link?: string },
): Html =>
  layout(
    `People: ${org.name}`,
    viewer,
    html`<p><a href="${link('orgs', org.id, 'licenses')}">License Management</a></p>
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
                <form
                  class="inline"
                  method="post"
                  action="${link('orgs', org.id, 'people', 'role')}"
                >
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
                ${action(viewer, link('orgs', org.id, 'people', 'remove'), 'Remove', { email: m.email }, `Remove ${m.email}`)}
              </td>
            </tr>`,
        ),
      )}
      <h2>Invite someone</h2>
      <form class="row" method="post" action="${link('orgs', org.id, 'people', 'invite')}">
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
