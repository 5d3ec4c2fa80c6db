// The pages of someone not (yet) in: sign-in, and an invitation link's page.
import { ROLE_NAMES, type Role } from '../../../core/vocabulary.ts';
import { html, type Html } from '../html.ts';
import { link } from '../links.ts';
import { action, errorLine, layout, type Viewer } from './layout.ts';

export const signInPage = (error?: string, email = '', notice?: string): Html =>
  layout(
    'Sign in',
    undefined,
    html`${errorLine(error)}${notice ? html`<p class="done" role="status">${notice}</p>` : ''}
      <form class="stack" method="post" action="${link('sign-in')}">
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
        ${action(viewer, link('sign-out'), 'Sign out')}
        <p class="muted">Then open this link again.</p>`;
    if (viewer)
      return html`<p class="muted">
          A role you have already stays if it is higher than the one offered.
        </p>
        ${action(viewer, path, `Accept as ${invite.email}`)}`;
    if (invite.accept === 'sign-in')
      return html`<p>
        ${invite.email} has an account: <a href="${link('sign-in')}">sign in</a> with its own
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
