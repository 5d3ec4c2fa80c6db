// The People page of an organisation: members and their roles, and invitation links.
import { keepsAnOwner, memberMay } from '../../../core/roles.ts';
import { ROLE_NAMES, ROLES, type Role } from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { action, day, layout, roleOptions, table, type Viewer } from './layout.ts';

/** What the page says of the change just made; an invitation's link, aside when it was e-mailed. */
export interface PeopleNotice {
  error: boolean;
  text: string;
  link?: string;
  linkAside?: boolean;
}

/**
 * The People page. The viewer is offered only what they may do (the policy in core/roles.ts, which
 * the server applies anyway): an Admin sees Owners' rows without forms, and no Owner role to give;
 * the last Owner's row has none either. A button's accessible name starts with its visible text.
 */
export const peoplePage = (
  viewer: Viewer,
  org: { id: number; name: string; role: Role },
  members: { email: string; role: Role }[],
  pending: { id: string; email: string; role: Role; by: string; expiresAt: string }[],
  notice?: PeopleNotice,
): Html => {
  const may = (action: Parameters<typeof memberMay>[1]) => memberMay(org.role, action);
  // The last Owner's row offers no change and no removal: the organisation needs an Owner.
  const owners = members.filter((m) => m.role === 'owner').length;
  const canGive = (from: Role) =>
    ROLES.filter(
      (to) =>
        to === from || (may({ kind: 'change-role', from, to }) && keepsAnOwner(owners, from, to)),
    );
  const canRemove = (role: Role) =>
    may({ kind: 'remove-member', role }) && keepsAnOwner(owners, role, 'removed');
  return layout(
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
              ${
                !notice.link
                  ? ''
                  : notice.linkAside
                    ? html`<details>
                        <summary>Copy the link instead</summary>
                        <pre><code>${notice.link}</code></pre>
                      </details>`
                    : html`<pre><code>${notice.link}</code></pre>`
              }
            </div>`
          : ''
      }
      ${table(
        'Members',
        ['E-mail', 'Role', '', ''],
        members.map(
          (m, i) =>
            html`<tr>
              <td>${m.email}</td>
              <td>${ROLE_NAMES[m.role]}</td>
              <td>
                ${
                  canGive(m.role).length < 2
                    ? ''
                    : html`<form
                        class="inline"
                        method="post"
                        action="${link('orgs', org.id, 'people', 'role')}"
                      >
                        <input type="hidden" name="_csrf" value="${viewer.csrf}" /><input
                          type="hidden"
                          name="email"
                          value="${m.email}"
                        /><label for="role-${i}">New role for ${m.email}</label>
                        <select id="role-${i}" name="role">
                          ${roleOptions(m.role, canGive(m.role))}
                        </select>
                        <button type="submit">Change</button>
                      </form>`
                }
              </td>
              <td>
                ${canRemove(m.role) ? action(viewer, link('orgs', org.id, 'people', 'remove'), 'Remove', { email: m.email }, `Remove ${m.email}`) : ''}
              </td>
            </tr>`,
        ),
      )}
      <h2>Pending invitations</h2>
      ${table(
        'Pending invitations',
        ['E-mail', 'Role', 'By', 'Expires', '', ''],
        pending.map(
          (i) =>
            html`<tr>
              <td>${i.email}</td>
              <td>${ROLE_NAMES[i.role]}</td>
              <td>${i.by}</td>
              <td>${day(i.expiresAt)}</td>
              ${
                may({ kind: 'invite', role: i.role })
                  ? html`<td>
                        ${action(viewer, link('orgs', org.id, 'people', 'invitations', 'renew'), 'New link', { id: i.id }, `New link for ${i.email}`)}
                      </td>
                      <td>
                        ${action(viewer, link('orgs', org.id, 'people', 'invitations', 'withdraw'), 'Withdraw', { id: i.id }, `Withdraw the invitation for ${i.email}`)}
                      </td>`
                  : html`<td></td>
                      <td></td>`
              }
            </tr>`,
        ),
      )}
      <h2>Invite someone</h2>
      <form class="row" method="post" action="${link('orgs', org.id, 'people', 'invite')}">
        <input type="hidden" name="_csrf" value="${viewer.csrf}" />
        <label>E-mail <input type="email" name="email" required /></label>
        <label for="invite-role">Role</label>
        <select id="invite-role" name="role">
          ${roleOptions(
            'member',
            ROLES.filter((role) => may({ kind: 'invite', role })),
          )}
        </select>
        <button type="submit">Invite</button>
      </form>`,
  );
};
