// Where the console lives: the one prefix its routes are registered under, and every link into it
// (pages, redirects, the cookie's path) built from it.
export const CONSOLE = '/console';

/** A console path: link('orgs', 3, 'licenses') is /console/orgs/3/licenses. */
export const link = (...parts: (string | number)[]): string => [CONSOLE, ...parts].join('/');
