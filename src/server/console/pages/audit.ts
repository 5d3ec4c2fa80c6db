// The audit log of an organisation: every change, newest first.
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { layout, minute, table, type Viewer } from './layout.ts';

export const auditPage = (
  viewer: Viewer,
  org: { id: number; name: string },
  entries: { at: string; who: string; from: string; action: string; detail: string }[],
): Html =>
  layout(
    `Audit log: ${org.name}`,
    viewer,
    html`<p><a href="${link('orgs', org.id, 'licenses')}">License Management</a></p>
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
