// The admin subcommands against a running server (--server URL, with its admin token) instead of
// its data dir: the same operations, through the admin API. So an operator never has to find the
// server's data dir, nor risks making a second database by missing it.
import { fail, isErrorCode, type ErrorCode } from '../core/errors.ts';
import { ADMIN_API, type AdminOps } from './http/admin-api.ts';
import type { IssuedLicense, OfflineRequest } from './service/offline-licenses.ts';

export type { AdminOps };

export const remoteAdmin = (server: string, token: string): AdminOps => {
  const base = server.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}/v1/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      // fetch says "fetch failed"; why is in its cause.
      const e = error as Error & { cause?: Error };
      throw fail('SERVER_UNREACHABLE', `cannot reach ${base}: ${(e.cause ?? e).message}`);
    }
    const json = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    if (json.error) {
      const code: ErrorCode = isErrorCode(json.error.code) ? json.error.code : 'INTERNAL';
      throw fail(code, json.error.message ?? `the server answered ${res.status}`);
    }
    if (!res.ok)
      throw fail('SERVER_ERROR', `${base} answered ${res.status}: is it a katalon-license-server?`);
    return json as T;
  };
  // Each operation is its row of the admin API: the path filled in from the request's params,
  // the query from its defined values, and a list unwrapped from its one field.
  const ops = Object.fromEntries(
    ADMIN_API.map((r) => [
      r.op,
      async (...args: never[]) => {
        const { params = {}, body, query = {} } = r.request(...args);
        const path = r.path.replace(/:(\w+)/g, (_, name: string) =>
          encodeURIComponent(String((params as Record<string, unknown>)[name])),
        );
        const search = Object.entries(query as Record<string, unknown>)
          .filter(([, value]) => value !== undefined)
          .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
          .join('&');
        const answer = await call<Record<string, unknown>>(
          r.method,
          search ? `${path}?${search}` : path,
          body,
        );
        return r.list ? answer[r.list] : answer;
      },
    ]),
  ) as unknown as AdminOps;
  return {
    ...ops,
    // Through the API the license is committed before it is delivered here; the CLI checks the
    // folder it will write to first.
    createOffline: async <T = IssuedLicense>(
      p: OfflineRequest,
      deliver: (license: IssuedLicense) => Promise<T> | T = (license) => license as T,
    ): Promise<T> => deliver(await ops.createOffline(p)),
  };
};
