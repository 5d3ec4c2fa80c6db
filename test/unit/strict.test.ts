import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isLoopbackAddress, publicAddress } from '../../src/core/strict.ts';

describe('the address users reach a server at (KLS_PUBLIC_URL)', () => {
  it('an http(s) address, kept without its trailing slashes; anything else refused, never echoing a password', () => {
    expect(publicAddress('https://licenses.acme.test/')).toEqual({
      ok: true,
      value: 'https://licenses.acme.test',
    });
    expect(publicAddress('http://10.0.0.5:8080/kls//')).toEqual({
      ok: true,
      value: 'http://10.0.0.5:8080/kls',
    });
    for (const bad of [
      'licenses.acme.test',
      'ftp://x.test',
      'https://x.test/?a=1',
      'https://u:p@x.test',
    ])
      expect(publicAddress(bad).ok, bad).toBe(false);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((p) => !p.includes('/') && !p.includes('@')),
        (password) => {
          const r = publicAddress(`ftp://kls:${password}@mail.test`);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.reason).not.toContain(`kls:${password}`);
        },
      ),
    );
  });

  it('a link only this machine reaches is told apart, whichever way it is spelt', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://127.1:8080',
      'http://0.0.0.0:1',
      'http://[::1]:2',
      'http://LOCALHOST/',
    ])
      expect(isLoopbackAddress(url), url).toBe(true);
    for (const url of [
      'https://licenses.acme.test',
      'http://10.0.0.5',
      'http://127.example.test',
      'not a url',
    ])
      expect(isLoopbackAddress(url), url).toBe(false);
  });
});
