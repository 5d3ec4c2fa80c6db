// katalonc writes long options with one dash and "=" (-apiKey=K, -proxy.auth.server.port=8080).
// commander does not know that form, so every katalonc option is rewritten here, through an
// allow-list, into its GNU spelling before parsing. Nothing else in the CLI sees the katalonc form.
import { fail } from '../core/errors.ts';

/** katalonc spelling (compared case-insensitively) → GNU long option. */
export const KATALONC_OPTIONS: Readonly<Record<string, string>> = {
  apikey: '--api-key',
  orgid: '--org-id',
  serverurl: '--server-url',
  licenserelease: '--license-release',
  enablelicenseretry: '--enable-license-retry',
  licenseretrymaxduration: '--license-retry-max-duration',
  licenseretryinterval: '--license-retry-interval',
  licenseretrymaxjitter: '--license-retry-max-jitter',
  licensedir: '--license-dir',
  cafile: '--ca-file',
  'proxy.auth.option': '--proxy-option',
  'proxy.auth.server.type': '--proxy-type',
  'proxy.auth.server.address': '--proxy-address',
  'proxy.auth.server.port': '--proxy-port',
  'proxy.auth.excludes': '--proxy-excludes',
  'proxy.auth.username': '--proxy-username',
  'proxy.auth.password': '--proxy-password',
};

/**
 * Rewrites katalonc-style tokens into GNU ones. Everything after a bare "--" is the user's command
 * and is left untouched. `--config` (katalonc's marker before proxy settings) is consumed.
 */
export const rewriteArgv = (args: readonly string[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (token === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (token === '--config') continue;
    // "-x" (one letter) and "--long" are already commander's business; "-" alone is a value.
    if (!token.startsWith('-') || token.startsWith('--') || token.length <= 2) {
      out.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(1, eq === -1 ? undefined : eq);
    const gnu = KATALONC_OPTIONS[name.toLowerCase()];
    if (!gnu) {
      throw fail(
        'INVALID_ARGUMENT',
        `unknown option ${token.slice(0, eq === -1 ? undefined : eq)}: see "katalonc --help" for the options katalonc accepts`,
      );
    }
    out.push(eq === -1 ? gnu : `${gnu}=${token.slice(eq + 1)}`);
  }
  return out;
};
