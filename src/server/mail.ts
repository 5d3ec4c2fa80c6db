// Invitations by e-mail, the shell: nodemailer over SMTP with the server's settings (checked in
// core/mail.ts), each message bounded in time, a failure told as its gist, never with a credential.
// nodemailer is loaded only when an invitation is sent.
import { hostname } from 'node:os';
import { invitationMessage, smtpSettings, type InvitationMail } from '../core/mail.ts';
import { link } from './console/links.ts';
import { serverEnvironment } from './environment.ts';

// The request that made the invitation waits for its e-mail (to say whether it went): each step
// (connecting, the greeting, every answer) gets a few seconds, the whole message a few more.
const STEP_MS = 5_000;
const SEND_MS = 10_000;

export interface InvitationMailer {
  /** Sends the invitation whose link holds `token`; the reason when it could not be sent. */
  send(invitation: Omit<InvitationMail, 'link'> & { token: string }): Promise<{ error?: string }>;
}

/** What went wrong, on one line, the password blotted out wherever the error may have echoed it. */
const gist = (error: unknown, password: string | undefined): string => {
  const e = error as Error;
  let text =
    e.name === 'TimeoutError'
      ? `the SMTP server did not take the message within ${SEND_MS / 1000} seconds`
      : String(e.message || error);
  for (const secret of password ? [password, encodeURIComponent(password)] : [])
    text = text.split(secret).join('***');
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
};

/**
 * The server's invitation mailer, or undefined without KLS_SMTP_URL (a bad setting is refused
 * here, at start). `linkBase`: the server's address as its users reach it, when known.
 */
export const invitationMailer = (
  linkBase: () => string | undefined,
  /** Told of each e-mail that could not be sent (the server's log: its operator should know). */
  onFailure: (failure: { to: string; error: string }) => void = () => {},
): InvitationMailer | undefined => {
  const settings = smtpSettings(serverEnvironment.smtpUrl, serverEnvironment.smtpFrom, hostname());
  if (!settings) return undefined;
  return {
    send: async ({ token, ...invitation }) => {
      const failed = (error: string) => {
        onFailure({ to: invitation.to, error });
        return { error };
      };
      const base = linkBase();
      if (!base)
        return failed(
          'the address for its link is unknown: set KLS_PUBLIC_URL, or start the server',
        );
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({
        url: settings.url,
        connectionTimeout: STEP_MS,
        greetingTimeout: STEP_MS,
        socketTimeout: STEP_MS,
      });
      try {
        await transport.sendMail({
          ...invitationMessage(settings.from, {
            ...invitation,
            link: `${base.replace(/\/+$/, '')}${link('invitations', token)}`,
          }),
          signal: AbortSignal.timeout(SEND_MS),
        });
        return {};
      } catch (error) {
        return failed(gist(error, settings.password));
      } finally {
        transport.close();
      }
    },
  };
};
