// Invitations by e-mail, the pure part: the SMTP settings as KLS_SMTP_URL and KLS_SMTP_FROM give
// them (a refusal never repeats the password), and the invitation's message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invitationMessage, smtpSettings } from '../../src/core/mail.ts';
import { isKatalonError } from '../../src/core/errors.ts';
import { ROLES } from '../../src/core/vocabulary.ts';

const refusal = (url: string, from?: string) => {
  try {
    smtpSettings(url, from, 'kls.acme.test');
  } catch (error) {
    if (isKatalonError(error)) return error;
    throw error;
  }
  throw new Error(`${url} was taken`);
};

describe('the SMTP settings', () => {
  it('none without KLS_SMTP_URL; smtp:// and smtps:// taken, the sender defaulting to katalon-license-server@<host>', () => {
    expect(smtpSettings(undefined, 'x@acme.test', 'kls')).toBeUndefined();
    expect(smtpSettings('smtp://mail.acme.test', undefined, 'kls.acme.test')).toEqual({
      url: 'smtp://mail.acme.test',
      from: 'katalon-license-server@kls.acme.test',
    });
    expect(
      smtpSettings('smtps://kls:p%40ss%2Fw@mail.acme.test:465', 'Licenses <l@acme.test>', 'h'),
    ).toEqual({
      url: 'smtps://kls:p%40ss%2Fw@mail.acme.test:465',
      from: 'Licenses <l@acme.test>',
      password: 'p@ss/w',
    });
  });

  it('a bad URL or sender is refused with exit 4, naming the variable and the fix, never the password', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9]{8,20}$/);
    fc.assert(
      fc.property(password, fc.constantFrom('http', 'ftp', 'mailto', 'smtp+x'), (pass, scheme) => {
        for (const url of [
          `${scheme}://kls:${pass}@mail.acme.test:25`,
          `smtp://kls:${pass}@mail acme:25`,
          `kls:${pass}@mail.acme.test`,
        ]) {
          const e = refusal(url);
          expect(e.code).toBe('INVALID_ARGUMENT');
          expect(e.exitCode).toBe(4);
          expect(e.message).toMatch(/^KLS_SMTP_URL .*: set it to smtp:\/\/user:password@host:587/);
          expect(e.message).not.toContain(pass);
        }
      }),
    );
    expect(refusal('smtp:/mail.acme.test').message).toMatch(/^KLS_SMTP_URL names no host/);
    expect(refusal('smtp://mail.acme.test', 'licenses').message).toBe(
      'KLS_SMTP_FROM "licenses" is not an e-mail address: set it to the sender, such as licenses@example.com or "Katalon licenses <licenses@example.com>"',
    );
  });
});

describe('the invitation message', () => {
  const invitation = {
    to: 'new@acme.test',
    orgName: 'Acme QA',
    role: 'admin' as const,
    by: 'owner@acme.test',
    link: 'https://licenses.acme.test/console/invitations/q5SNEo-SvEc30-CmUdy5KEoG72tNInJxdfIqRom5Fxw',
    expiresAt: '2026-12-08T19:23:16.570Z',
  };

  it('names the organisation, the role, who invited and until when, from the sender to the invited address', () => {
    const m = invitationMessage('l@acme.test', invitation);
    expect(m).toMatchObject({
      from: 'l@acme.test',
      to: 'new@acme.test',
      subject: 'Invitation to Acme QA as Admin',
    });
    expect(m.text).toContain(
      'owner@acme.test invited you to join the organisation "Acme QA" as Admin in the Katalon license console.',
    );
    expect(m.text).toContain('(it works once, until 2026-12-08 19:23 UTC)');
    expect(invitationMessage('l@acme.test', { ...invitation, by: undefined }).text).toContain(
      "The license server's operator invited you",
    );
  });

  it('the link stands alone on its line, whatever the names around it', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom(...ROLES),
        fc.option(fc.emailAddress(), { nil: undefined }),
        (orgName, role, by) => {
          const m = invitationMessage('l@acme.test', { ...invitation, orgName, role, by });
          expect(m.text.split('\n')).toContain(invitation.link);
          expect(m.subject).toContain(orgName);
        },
      ),
    );
  });
});
