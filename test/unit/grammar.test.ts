import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KATALONC_OPTIONS, rewriteArgv } from '../../src/cli/argv.ts';
import type { KatalonError } from '../../src/core/errors.ts';
import { VERSION } from '../../src/version.ts';
import pkg from '../../package.json' with { type: 'json' };

describe('katalonc argv rewrite', () => {
  it('maps every katalonc spelling to its GNU option', () => {
    expect(
      rewriteArgv([
        '-apiKey=K',
        '-apikey=K2',
        '-orgID=42',
        '-serverUrl=https://x',
        '-licenseRelease',
        '-enableLicenseRetry',
        '-licenseRetryMaxDuration=20',
        '-licenseRetryInterval=5',
        '-licenseRetryMaxJitter=2',
        '-licenseDir=/tmp/l',
        '-caFile=ca.pem',
      ]),
    ).toEqual([
      '--api-key=K',
      '--api-key=K2',
      '--org-id=42',
      '--server-url=https://x',
      '--license-release',
      '--enable-license-retry',
      '--license-retry-max-duration=20',
      '--license-retry-interval=5',
      '--license-retry-max-jitter=2',
      '--license-dir=/tmp/l',
      '--ca-file=ca.pem',
    ]);
  });

  it('consumes --config and maps the proxy settings after it', () => {
    expect(
      rewriteArgv([
        '--config',
        '-proxy.auth.option=MANUAL_CONFIG',
        '-proxy.auth.server.type=HTTP',
        '-proxy.auth.server.address=proxy.corp',
        '-proxy.auth.server.port=3128',
        '-proxy.auth.excludes=localhost',
        '-proxy.auth.username=u',
        '-proxy.auth.password=p',
      ]),
    ).toEqual([
      '--proxy-option=MANUAL_CONFIG',
      '--proxy-type=HTTP',
      '--proxy-address=proxy.corp',
      '--proxy-port=3128',
      '--proxy-excludes=localhost',
      '--proxy-username=u',
      '--proxy-password=p',
    ]);
  });

  it('leaves GNU options, short options, operands and everything after -- alone', () => {
    expect(rewriteArgv(['--api-key', 'K', '-q', 'run', '--', '-apiKey=not-ours', '-x'])).toEqual([
      '--api-key',
      'K',
      '-q',
      'run',
      '--',
      '-apiKey=not-ours',
      '-x',
    ]);
  });

  it('keeps values containing "=" intact', () => {
    expect(rewriteArgv(['-apiKey=a=b=='])).toEqual(['--api-key=a=b==']);
  });

  it('refuses unknown single-dash options with exit code 4 and names them', () => {
    expect(() => rewriteArgv(['-noSuchOption=1'])).toThrow(/unknown option -noSuchOption/);
    try {
      rewriteArgv(['-projectPath=x']);
    } catch (e) {
      expect((e as KatalonError).exitCode).toBe(4);
    }
  });

  it('never changes tokens after -- (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.array(fc.string()), (before, after) => {
        const safe = before.filter((t) => !t.startsWith('-'));
        expect(rewriteArgv([...safe, '--', ...after])).toEqual([...safe, '--', ...after]);
      }),
    );
  });

  it('accepts the katalonc names in any case', () => {
    for (const name of Object.keys(KATALONC_OPTIONS))
      expect(rewriteArgv([`-${name.toUpperCase()}=1`])[0]).toBe(`${KATALONC_OPTIONS[name]}=1`);
  });

  it("the built-in version is package.json's", () => {
    expect(VERSION).toBe(pkg.version);
  });
});
