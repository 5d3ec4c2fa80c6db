// Requests through a proxy, over undici: the proxy katalonc's -proxy.* options name (HTTP, HTTPS or
// SOCKS5, with credentials and excluded hosts), or HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
import { EnvHttpProxyAgent, ProxyAgent, Socks5ProxyAgent, request, type Dispatcher } from 'undici';
import {
  CONNECT_TIMEOUT_MS,
  RESPONSE_TIMEOUT_MS,
  timedOut,
  type TlsSettings,
  type Transport,
} from './transport.ts';

export interface ProxySettings {
  /** The proxy of -proxy.auth.*, as a URL with its credentials; none: the environment's. */
  manual?: { url: string; socks: boolean; excludes?: string };
}

// undici's SOCKS5 agent announces itself as experimental, and its proxy TLS gives a proxy's IP
// address as the TLS server name (Node's DEP0123): two lines on stderr of every such run that are
// not the user's to act on, before katalonc's own one-line error. Other warnings still show.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  if (/^SOCKS5 proxy support is experimental|TLS ServerName to an IP address/.test(text)) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
};

const dispatcherFor = (proxy: ProxySettings, tls: TlsSettings): Dispatcher => {
  // No TCP keep-alive probes: every request has its own timeouts, and undici sets them before the
  // socket connects, which Wine's Windows sockets refuse ("connect UNKNOWN"), failing every request.
  const connect = { timeout: CONNECT_TIMEOUT_MS, keepAlive: false, ...tls };
  const timeouts = { headersTimeout: RESPONSE_TIMEOUT_MS, bodyTimeout: RESPONSE_TIMEOUT_MS };
  const common = { connect, ...timeouts };
  const manual = proxy.manual;
  if (!manual) return new EnvHttpProxyAgent({ ...common, requestTls: connect, proxyTls: connect });
  if (manual.socks) return new Socks5ProxyAgent(manual.url, { ...timeouts, requestTls: connect });
  return manual.excludes
    ? new EnvHttpProxyAgent({
        ...common,
        httpProxy: manual.url,
        httpsProxy: manual.url,
        noProxy: manual.excludes,
        requestTls: connect,
        proxyTls: connect,
      })
    : new ProxyAgent({ ...common, uri: manual.url, proxyTls: connect, requestTls: connect });
};

export const proxiedTransport = (proxy: ProxySettings, tls: TlsSettings): Transport => {
  const dispatcher = dispatcherFor(proxy, tls);
  return {
    send: async ({ method, url, headers, body }) => {
      // undici's bodyTimeout is an idle time: the whole request has a deadline too (transport.ts).
      const ms = CONNECT_TIMEOUT_MS + RESPONSE_TIMEOUT_MS;
      const signal = AbortSignal.timeout(ms);
      const late = () => signal.aborted && timedOut('RESPONSE_TIMEOUT', RESPONSE_TIMEOUT_MS);
      try {
        const response = await request(url, { method, dispatcher, headers, body, signal });
        const text = await response.body.text().catch(() => '');
        const error = late();
        if (error) throw error;
        return { status: response.statusCode, text };
      } catch (error) {
        throw late() || error;
      }
    },
    close: () => dispatcher.close(),
  };
};
