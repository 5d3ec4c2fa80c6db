// Who is acting, and from where, for the audit log: set by the HTTP layer for the request it
// serves (a console user, or the operator through the admin API); the admin CLI on the data dir
// is the operator at this machine.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Actor {
  /** A console user's e-mail, or "operator". */
  who: string;
  /** The client address, or "admin CLI". */
  from: string;
}

export const actors = new AsyncLocalStorage<Actor>();

export const currentActor = (): Actor =>
  actors.getStore() ?? { who: 'operator', from: 'admin CLI' };
