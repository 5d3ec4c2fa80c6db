// -proxy.auth.option=USE_SYSTEM on Windows: the proxy of Internet Options (WinINet), which is what
// Katalon's Java runner uses there (java.net.useSystemProxies), as `reg query` prints it. Pure: the
// registry is read by platform/system-proxy.

/** HKCU\…\Internet Settings: ProxyEnable, ProxyServer, ProxyOverride. */
export interface InternetSettings {
  enabled: boolean;
  server: string;
  override: string;
}

export interface SystemProxy {
  type: 'HTTP' | 'SOCKS';
  address: string;
  port: number;
}

/** The three values from `reg query "HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings"`. */
export const parseInternetSettings = (output: string): InternetSettings => {
  const value = (name: string) =>
    new RegExp(`^\\s*${name}\\s+REG_\\w+\\s+(.*?)\\s*$`, 'im').exec(output)?.[1] ?? '';
  const enable = value('ProxyEnable');
  return {
    enabled: enable !== '' && Number(enable) !== 0,
    server: value('ProxyServer'),
    override: value('ProxyOverride'),
  };
};

/** Whether ProxyOverride sends `host` straight: `<local>` (no dot in the name) or a `*` pattern. */
const bypassed = (override: string, host: string): boolean =>
  override
    .split(';')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
    .some((entry) =>
      entry === '<local>'
        ? !host.includes('.') && !host.includes(':')
        : new RegExp(`^${entry.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`).test(
            host.toLowerCase(),
          ),
    );

/**
 * The proxy WinINet uses for `target`; 'direct' when the settings send it straight (the host is
 * bypassed, or no proxy is set for its protocol); null when no proxy is enabled at all. ProxyServer
 * is `host:port` for every protocol, or `http=host:port;https=host:port;socks=host:port`.
 */
export const internetSettingsProxy = (
  settings: InternetSettings,
  target: URL,
): SystemProxy | 'direct' | null => {
  if (!settings.enabled || !settings.server) return null;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (bypassed(settings.override, host)) return 'direct';
  const entries = settings.server.split(';').map((entry) => entry.trim());
  const scheme = target.protocol.replace(':', '');
  const perProtocol = (name: string) =>
    entries.find((e) => e.toLowerCase().startsWith(`${name}=`))?.slice(name.length + 1);
  const all = entries.find((e) => !e.includes('='));
  const http = all ?? perProtocol(scheme);
  const socks = http === undefined ? perProtocol('socks') : undefined;
  const match = /^(?:[a-z0-9]+:\/\/)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/i.exec(http ?? socks ?? '');
  if (!match) return 'direct';
  return {
    type: http === undefined ? 'SOCKS' : 'HTTP',
    address: match[1],
    port: Number(match[2] ?? (http === undefined ? 1080 : 80)),
  };
};
