// The audit log of an organisation: every change, newest first, a page at a time: however many
// entries come after one (a Member can make hundreds of API keys), it stays a link away.
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { layout, minute, ROWS_SHOWN, table, type Viewer } from './layout.ts';

export const auditPage = (
  viewer: Viewer,
  org: { id: number; name: string },
  entries: { id: number; at: string; who: string; from: string; action: string; detail: string }[],
): Html => {
  const shown = entries.slice(0, ROWS_SHOWN);
  const older = entries.length > shown.length ? shown.at(-1)!.id : undefined;
  return layout(
    `Audit log: ${org.name}`,
    viewer,
    html`<p><a href="${link('orgs', org.id, 'licenses')}">License Management</a></p>
      ${table(
        'Every change, newest first',
        ['When', 'Who', 'From', 'What', 'Details'],
        shown.map(
          (e) =>
            html`<tr>
              <td>${minute(e.at)}</td>
              <td>${e.who}</td>
              <td>${e.from}</td>
              <td>${e.action}</td>
              <td>${e.detail}</td>
            </tr>`,
        ),
      )}
      ${older === undefined ? '' : html`<p><a href="${link('orgs', org.id, 'audit')}?before=${older}">Older entries</a></p>`}`,
  );
};
