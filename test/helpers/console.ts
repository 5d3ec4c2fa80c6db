// The console as a browser without JavaScript would use it: form posts, a cookie jar of one
// cookie, redirects not followed (their target is what the tests check).
import { expect } from 'vitest';
import { adminApi } from './server.ts';

export interface ConsoleClient {
  cookie?: string;
  get(path: string): Promise<{ status: number; text: string; headers: Headers }>;
  post(
    path: string,
    form: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; text: string; headers: Headers }>;
}

export const consoleClient = (base: string): ConsoleClient => {
  const client: ConsoleClient = {
    get: async (path) => {
      const res = await fetch(`${base}${path}`, {
        redirect: 'manual',
        headers: client.cookie ? { cookie: client.cookie } : {},
      });
      return { status: res.status, text: await res.text(), headers: res.headers };
    },
    post: async (path, form, headers = {}) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(client.cookie ? { cookie: client.cookie } : {}),
          ...headers,
        },
        body: new URLSearchParams(form).toString(),
      });
      const set = res.headers.get('set-cookie');
      if (set) client.cookie = set.split(';')[0];
      return { status: res.status, text: await res.text(), headers: res.headers };
    },
  };
  return client;
};

/** An invitation link's path, made through the admin API. */
export const invite = async (
  base: string,
  orgId: number,
  email: string,
  role: 'owner' | 'admin' | 'member',
): Promise<string> => {
  const r = await adminApi(base, 'POST', `/orgs/${orgId}/invitations`, { email, role });
  expect(r.status).toBe(201);
  return new URL(r.body.link as string).pathname;
};

export const PASSWORD = 'correct-horse-battery-staple';

/** Accepts the invitation and signs in; resolves to the signed-in client. */
export const join = async (base: string, link: string, email: string): Promise<ConsoleClient> => {
  const c = consoleClient(base);
  const accepted = await c.post(link, { password: PASSWORD, confirm: PASSWORD });
  expect(accepted.status).toBe(303);
  const signedIn = await c.post('/console/sign-in', { email, password: PASSWORD });
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get('location')).toBe('/console/orgs');
  return c;
};

/** A new member of the organisation with that role, invited, joined and signed in. */
export const joinAs = async (
  base: string,
  orgId: number,
  email: string,
  role: 'owner' | 'admin' | 'member',
): Promise<ConsoleClient> => join(base, await invite(base, orgId, email, role), email);

/** The CSRF token of the page's forms. */
export const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)![1];
