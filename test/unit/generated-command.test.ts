// The console's command generator: what it writes is Katalon's own grammar, every word a licensing
// option katalonc knows, and the key only as the variable.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generatedCommand, shellLine } from '../../src/core/katalonc/generated-command.ts';
import { parseLine } from '../../src/core/katalonc/grammar.ts';
import { PRODUCTS } from '../../src/core/vocabulary.ts';

describe('generatedCommand', () => {
  it('writes a line katalonc parses entirely as its licensing options', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.webUrl(),
        fc.constantFrom(...PRODUCTS),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
        (orgId, serverUrl, product, licenseRelease, retryMinutes) => {
          const words = generatedCommand({
            orgId,
            serverUrl,
            product,
            licenseRelease,
            retryMinutes,
          });
          expect(words[0]).toBe('katalonc');
          const line = parseLine(words.slice(1));
          expect(line.unknown).toEqual([]);
          expect(line.runner).toEqual([]);
          expect(line.gnu).toContain(`--org-id=${orgId}`);
          expect(line.gnu).toContain(`--server-url=${serverUrl}`);
          expect(line.gnu).toContain('--api-key=$KATALON_API_KEY');
          expect(line.gnu.includes('--license-release')).toBe(licenseRelease);
          expect(line.gnu.includes('--enable-license-retry')).toBe(retryMinutes !== undefined);
        },
      ),
    );
  });

  it('quotes only the key, for the shell to expand', () => {
    expect(
      shellLine(
        generatedCommand({
          orgId: 7,
          serverUrl: 'https://kls.acme.test',
          product: 'KSE',
          licenseRelease: true,
          retryMinutes: 30,
        }),
      ),
    ).toBe(
      'katalonc --product KSE "-apiKey=$KATALON_API_KEY" -orgID=7 -serverUrl=https://kls.acme.test -licenseRelease=true -enableLicenseRetry=true -licenseRetryMaxDuration=30',
    );
  });
});
