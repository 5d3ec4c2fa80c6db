// Where katalonc talks HTTP: the license server's client API, directly or through the proxy the
// user chose (transport.ts), with verified TLS and timeouts. Every failure becomes its own error with
// its own fix.
import { clientCode, fail, type ErrorCode, type KatalonError } from '../../core/errors.ts';
import { environment } from '../../platform/environment.ts';
import { directTransport } from './direct.ts';
import { systemProxy } from '../../platform/system-proxy/index.ts';
import type { ProxySettings } from './proxied.ts';
import type { TlsSettings, Transport } from './transport.ts';
import { errnoCode, readTextOrFail } from '../../platform/errno.ts';

export interface ConnectionOptions {
  serverUrl: string;
  insecure?: boolean;
  caFile?: string;
  proxyOption?: 'NO_PROXY' | 'USE_SYSTEM' | 'MANUAL_CONFIG';
  proxyType?: 'HTTP' | 'HTTPS' | 'SOCKS';
  proxyAddress?: string;
  proxyPort?: number;
  proxyExcludes?: string;
  proxyUsername?: string;
  proxyPassword?: string;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

const tlsSettings = (caFile?: string): TlsSettings => {
  if (!caFile) return {};
  const pem = readTextOrFail(caFile, 'INVALID_ARGUMENT', {
    what: `the CA file ${caFile}`,
    fix: 'pass a PEM file with -caFile',
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw fail(
      'INVALID_ARGUMENT',
      `the CA file ${caFile} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"): convert it (openssl x509 -inform der -in FILE -out FILE.pem) and pass that with -caFile`,
    );
  // Node's default store already includes NODE_EXTRA_CA_CERTS; -caFile adds to the public roots.
  return { ca: [...process.getBuiltinModule('node:tls').rootCertificates, pem] };
};

const manualProxyUrl = (o: ConnectionOptions): string => {
  if (!o.proxyAddress || !o.proxyPort)
    throw fail(
      'INVALID_ARGUMENT',
      'MANUAL_CONFIG needs -proxy.auth.server.address and -proxy.auth.server.port',
    );
  const scheme = o.proxyType === 'SOCKS' ? 'socks5' : o.proxyType === 'HTTPS' ? 'https' : 'http';
  // Katalon's own examples write the address with a scheme ("http://192.168.12.32").
  const host = o.proxyAddress.replace(/^[a-z0-9]+:\/\//i, '').replace(/\/+$/, '');
  const url = new URL(`${scheme}://${host}:${o.proxyPort}`);
  if (o.proxyUsername) url.username = o.proxyUsername;
  if (o.proxyPassword) url.password = o.proxyPassword;
  return url.href;
};

/** The proxy a request to the target goes through, as undici chooses it; none: straight there. */
const proxyUrlOf = (o: ConnectionOptions, target: URL): string | undefined => {
  if (o.proxyOption === 'MANUAL_CONFIG') return manualProxyUrl(o);
  if (o.proxyOption === 'NO_PROXY') return undefined;
  // USE_SYSTEM and the default: an https server through HTTPS_PROXY, else HTTP_PROXY.
  return target.protocol === 'https:'
    ? (environment.httpsProxy ?? environment.httpProxy)
    : environment.httpProxy;
};

/** The proxy as messages name it (host:port), or null. */
const proxyHostOf = (raw: string | undefined): string | null => {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  } catch {
    return null;
  }
};

const transportFor = async (
  o: ConnectionOptions,
  target: URL,
  proxyUrl: string | undefined,
  tls: TlsSettings,
): Promise<Transport> => {
  if (proxyUrl === undefined) return directTransport(target, tls);
  const excludes = o.proxyExcludes
    ?.split(/[,;|]/)
    .map((h) => h.trim())
    .filter(Boolean)
    .join(',');
  const proxy: ProxySettings =
    o.proxyOption === 'MANUAL_CONFIG'
      ? { manual: { url: proxyUrl, socks: o.proxyType === 'SOCKS', excludes } }
      : {};
  const { proxiedTransport } = await import('./proxied.ts');
  return proxiedTransport(proxy, tls);
};

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME/;

/** Turns a thrown network error into our error with the fix in the message. */
/** The URL as messages show it: never with the user name and password it may carry. */
export const shown = (url: string): string => {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return `${u.href.replace(/\/$/, '')} (credentials not shown)`;
  } catch {
    return '(the server URL)';
  }
};

/** Whether something answers TLS at host:port (asked only to explain a failed plain-HTTP request). */
const speaksTls = async (host: string, port: number): Promise<boolean> => {
  const { connect } = await import('node:tls');
  return new Promise((resolve) => {
    const socket = connect({ host, port, rejectUnauthorized: false, timeout: 2000 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
};

const networkError = async (
  error: unknown,
  serverUrl: string,
  proxyUrl: string | undefined,
  proxySetting: string,
): Promise<KatalonError> => {
  const url = shown(serverUrl);
  const proxy = proxyHostOf(proxyUrl);
  const viaProxy = proxy !== null;
  const e = error as Error & { cause?: Error };
  const code = errnoCode(e.cause) ?? errnoCode(e) ?? '';
  const message = e.cause?.message ?? e.message ?? '';
  const is = (c: ErrorCode, text: string) => fail(c, text);
  const target = new URL(serverUrl);
  // A proxy of the wrong type (-proxy.auth.server.type) fails before the server is reached: name
  // the proxy and its type, never the server's URL.
  if (proxy && /socks/i.test(message))
    return is(
      'PROXY_ERROR',
      `the proxy at ${proxy} does not answer as a SOCKS5 proxy (${message}): check -proxy.auth.server.type (HTTP, HTTPS or SOCKS) and -proxy.auth.server.port`,
    );
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message))
    return proxy && proxyUrl?.startsWith('https:')
      ? is(
          'PROXY_ERROR',
          `the proxy at ${proxy}${target.protocol === 'https:' ? ` (or ${url})` : ''} speaks plain HTTP, not TLS: use -proxy.auth.server.type=HTTP (or an http:// proxy in HTTPS_PROXY/HTTP_PROXY)`,
        )
      : is(
          'TLS_ERROR',
          `${url} speaks plain HTTP, not TLS: use -serverUrl=http://… (or the server's TLS port)`,
        );
  if (proxy && code === 'ECONNREFUSED' && message.includes(proxy))
    return is('PROXY_ERROR', `the proxy at ${proxy} refused the connection: check ${proxySetting}`);
  if (
    !viaProxy &&
    target.protocol === 'http:' &&
    (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'HPE_INVALID_CONSTANT') &&
    (await speaksTls(target.hostname.replace(/^\[|\]$/g, ''), Number(target.port || 80)))
  )
    return is('TLS_ERROR', `${url} speaks TLS, not plain HTTP: use -serverUrl=https://…`);
  if (TLS_CODES.test(code) || /certificate|tls|ssl/i.test(message)) {
    return is(
      'TLS_ERROR',
      `the TLS certificate of ${url} is not trusted (${code || message}): if a proxy inspects TLS here, pass its CA with -caFile=FILE or NODE_EXTRA_CA_CERTS`,
    );
  }
  if (/proxy/i.test(message) || (code === 'UND_ERR_ABORTED' && viaProxy)) {
    return is(
      'PROXY_ERROR',
      `the proxy refused or failed the connection to ${url} (${message}): check the -proxy.auth.* settings or HTTPS_PROXY`,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return is(
      'SERVER_UNREACHABLE',
      `cannot resolve the host of ${url} (DNS ${code}): check -serverUrl and this machine's DNS`,
    );
  if (code === 'ECONNREFUSED')
    return is(
      'SERVER_UNREACHABLE',
      `connection refused by ${url}${viaProxy ? ' (through the proxy)' : ''}: is the license server running, and is -serverUrl right?`,
    );
  if (/TIMEOUT/.test(code) || code === 'ETIMEDOUT')
    return is(
      'TIMEOUT',
      `${url} did not answer in time (${code}): check the network or the proxy settings`,
    );
  // llhttp's parse errors: something answered on that port, but not an HTTP server.
  if (code.startsWith('HPE_'))
    return is(
      'SERVER_UNREACHABLE',
      `${url} answered, but not as an HTTP server (${code}): check -serverUrl (the license server's address and port)`,
    );
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
    return is(
      'SERVER_UNREACHABLE',
      `the connection to ${url} was dropped (${code}): the network or a proxy closed it; try again`,
    );
  return is('SERVER_UNREACHABLE', `unable to reach ${url}: ${message || code}`);
};

interface CallOptions {
  /** Harmless to do twice (sent again after a reset); GET and DELETE are, a POST says so. */
  repeatable?: boolean;
}

export interface ApiClient {
  call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    options?: CallOptions,
  ): Promise<T>;
  close(): Promise<void>;
}

/**
 * USE_SYSTEM where the OS keeps a proxy setting of its own (Windows' Internet Options, as Katalon's
 * Java runner reads it): that proxy, or none, as if typed; elsewhere the environment's.
 */
const withSystemProxy = (o: ConnectionOptions, target: URL): ConnectionOptions => {
  if (o.proxyOption !== 'USE_SYSTEM') return o;
  const system = systemProxy(target);
  if (system === null) return o;
  if (system === 'direct') return { ...o, proxyOption: 'NO_PROXY' };
  const { type: proxyType, address: proxyAddress, port: proxyPort } = system;
  return { ...o, proxyOption: 'MANUAL_CONFIG', proxyType, proxyAddress, proxyPort };
};

export const createApiClient = (options: ConnectionOptions, apiKey?: string): ApiClient => {
  const base = new URL(options.serverUrl);
  const o = withSystemProxy(options, base);
  const proxySetting =
    o.proxyOption === options.proxyOption
      ? '-proxy.auth.server.address and -proxy.auth.server.port, or HTTPS_PROXY/HTTP_PROXY'
      : "the proxy of Windows' Internet Options (-proxy.auth.option=USE_SYSTEM reads it)";
  if (base.protocol === 'http:' && !LOOPBACK.test(base.hostname) && !o.insecure) {
    throw fail(
      'INVALID_ARGUMENT',
      `refusing plain http to ${base.host}: the API key would cross the network unencrypted; use https, or pass --insecure if you accept that`,
    );
  }
  const tls = tlsSettings(o.caFile);
  const proxyUrl = proxyUrlOf(o, base);
  const viaProxy = proxyHostOf(proxyUrl) !== null;
  // Made at the first request: the direct one may need node:https, the proxied one undici.
  let transport: Promise<Transport> | undefined;
  return {
    async call<T>(
      method: 'GET' | 'POST' | 'DELETE',
      path: string,
      body?: unknown,
      { repeatable = method !== 'POST' }: CallOptions = {},
    ): Promise<T> {
      const url = new URL(path, `${o.serverUrl}/`).href;
      const t = await (transport ??= transportFor(o, base, proxyUrl, tls));
      let res: { status: number; text: string };
      try {
        res = await t.send({
          method,
          url,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          repeatable,
        });
      } catch (error) {
        throw await networkError(error, o.serverUrl, proxyUrl, proxySetting);
      }
      const { text } = res;
      let json: { error?: { code?: string; message?: string } } & Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as typeof json;
      } catch {
        // not JSON: a proxy's or a load balancer's page
      }
      if (res.status === 407)
        throw fail(
          'PROXY_ERROR',
          'the proxy asks for credentials (407): set -proxy.auth.username and -proxy.auth.password',
        );
      // The license server always answers errors as JSON; anything else through a proxy is the proxy's answer.
      if (res.status >= 400 && !json.error && viaProxy) {
        throw fail(
          'PROXY_ERROR',
          `the proxy answered ${res.status} instead of the license server: check the proxy address and credentials (-proxy.auth.*, HTTPS_PROXY)`,
        );
      }
      // Our routes exist on every license server: a 404 for one means the URL is not one.
      if (res.status === 404 && (!json.error || /^no route /.test(json.error.message ?? '')))
        throw fail(
          'NO_ROUTE',
          `${shown(o.serverUrl)} has no license server API (404 for ${method} /${path.split('?')[0]}): check -serverUrl (just the server's address, e.g. https://license.example.com)`,
        );
      if (res.status >= 500 || (res.status >= 400 && !json.error)) {
        throw fail(
          'SERVER_ERROR',
          `the license server at ${shown(o.serverUrl)} answered ${res.status}${json.error?.message ? `: ${json.error.message}` : ''}; try again later, or tell its admin`,
        );
      }
      if (json.error) {
        throw fail(clientCode(json.error.code), json.error.message ?? `refused (${res.status})`);
      }
      return json as T;
    },
    close: async () => (transport ? (await transport).close() : undefined),
  };
};
