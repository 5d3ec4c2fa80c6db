// USE_SYSTEM on Windows: Internet Options' proxy as `reg query` prints it (recorded in Windows' format),
// and which proxy WinINet would use for the license server.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { internetSettingsProxy, parseInternetSettings } from '../../src/core/system-proxy.ts';

const REG_OUTPUT = `
HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings
    CertificateRevocation    REG_DWORD    0x1
    ProxyEnable    REG_DWORD    0x1
    ProxyServer    REG_SZ    proxy.corp.example:8080
    ProxyOverride    REG_SZ    *.corp.example;10.*;<local>
    ZonesSecurityUpgrade    REG_BINARY    A0B1
`;

const settings = (server: string, override = '', enabled = true) => ({ enabled, server, override });

describe('USE_SYSTEM on Windows: the proxy of Internet Options', () => {
  it('reads ProxyEnable, ProxyServer and ProxyOverride from reg query', () => {
    expect(parseInternetSettings(REG_OUTPUT)).toEqual({
      enabled: true,
      server: 'proxy.corp.example:8080',
      override: '*.corp.example;10.*;<local>',
    });
    expect(
      parseInternetSettings(REG_OUTPUT.replace('0x1\n    ProxyServer', '0x0\n    ProxyServer'))
        .enabled,
    ).toBe(false);
    expect(parseInternetSettings('').enabled).toBe(false);
  });

  it('one proxy for all, per protocol, SOCKS; bypassed hosts and no proxy told apart', () => {
    const parsed = parseInternetSettings(REG_OUTPUT);
    const lic = new URL('https://license.example.com');
    expect(internetSettingsProxy(parsed, lic)).toEqual({
      type: 'HTTP',
      address: 'proxy.corp.example',
      port: 8080,
    });
    expect(internetSettingsProxy(parsed, new URL('https://kls.corp.example'))).toBe('direct');
    expect(internetSettingsProxy(parsed, new URL('http://10.1.2.3:8443'))).toBe('direct');
    expect(internetSettingsProxy(parsed, new URL('https://licensehost'))).toBe('direct');
    expect(internetSettingsProxy({ ...parsed, enabled: false }, lic)).toBeNull();
    expect(internetSettingsProxy(settings('http=h1:3128;https=h2:3129'), lic)).toEqual({
      type: 'HTTP',
      address: 'h2',
      port: 3129,
    });
    expect(internetSettingsProxy(settings('http=h1:3128'), lic)).toBe('direct');
    expect(internetSettingsProxy(settings('socks=s:1081'), lic)).toEqual({
      type: 'SOCKS',
      address: 's',
      port: 1081,
    });
    expect(internetSettingsProxy(settings('http://h3'), lic)).toEqual({
      type: 'HTTP',
      address: 'h3',
      port: 80,
    });
  });

  it('a host named in ProxyOverride, in any case, always goes straight', () => {
    fc.assert(
      fc.property(fc.domain(), fc.boolean(), (host, upper) => {
        const override = `other.example;${upper ? host.toUpperCase() : host}`;
        expect(
          internetSettingsProxy(settings('p:8080', override), new URL(`https://${host}`)),
        ).toBe('direct');
      }),
    );
  });
});
