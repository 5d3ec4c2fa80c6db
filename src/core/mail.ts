// Invitations by e-mail, the pure part: the server's SMTP settings as the environment gives them
// (KLS_SMTP_URL, KLS_SMTP_FROM), checked once at start, and the invitation's message. The sending
// itself is server/mail.ts.
import { fail } from './errors.ts';
import { canonicalEmail } from './text.ts';
import { ROLE_NAMES, type Role } from './vocabulary.ts';

export interface SmtpSettings {
  /** nodemailer's connection URL: smtp:// (STARTTLS when offered) or smtps:// (TLS). */
  url: string;
  /** The sender: an address, or `Name <address>`. */
  from: string;
  /** The URL's password (percent-decoded), kept out of every error said about sending. */
  password?: string;
}

const SMTP_URL_FORM =
  'set it to smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS), the password percent-encoded, or unset it to show invitation links instead of sending them';

/**
 * The SMTP settings, or undefined without KLS_SMTP_URL; a refusal that names the variable and the
 * fix (never the URL itself: it holds a password). `hostname` makes the default sender.
 */
export const smtpSettings = (
  url: string | undefined,
  from: string | undefined,
  hostname: string,
): SmtpSettings | undefined => {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail('INVALID_ARGUMENT', `KLS_SMTP_URL is not a URL: ${SMTP_URL_FORM}`);
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:')
    throw fail(
      'INVALID_ARGUMENT',
      `KLS_SMTP_URL starts with ${parsed.protocol.slice(0, 20)}, not smtp: or smtps:: ${SMTP_URL_FORM}`,
    );
  if (!parsed.hostname)
    throw fail('INVALID_ARGUMENT', `KLS_SMTP_URL names no host: ${SMTP_URL_FORM}`);
  // The default is taken as it is: a host name without a domain ("build-01") still makes an address
  // that a relay may accept, and one that refuses it says so when an invitation is sent.
  if (from !== undefined && !canonicalEmail(/<([^<>]*)>\s*$/.exec(from)?.[1] ?? from))
    throw fail(
      'INVALID_ARGUMENT',
      `KLS_SMTP_FROM "${from}" is not an e-mail address: set it to the sender, such as licenses@example.com or "Katalon licenses <licenses@example.com>"`,
    );
  let password: string | undefined;
  try {
    password = decodeURIComponent(parsed.password) || undefined;
  } catch {
    password = parsed.password;
  }
  return {
    url,
    from: from ?? `katalon-license-server@${hostname}`,
    ...(password ? { password } : {}),
  };
};

/** What an invitation e-mail says (all of it from the invitation as the server keeps it). */
export interface InvitationMail {
  to: string;
  orgName: string;
  role: Role;
  /** Who made the invitation: a console user's e-mail, or undefined for the server's operator. */
  by: string | undefined;
  /** The console link that accepts it, on the server's public address. */
  link: string;
  /** ISO 8601 (UTC). */
  expiresAt: string;
}

/** The invitation's message: plain text, the link alone on its line so that no client breaks it. */
export const invitationMessage = (
  from: string,
  i: InvitationMail,
): { from: string; to: string; subject: string; text: string } => {
  const role = ROLE_NAMES[i.role];
  const expires = `${i.expiresAt.slice(0, 16).replace('T', ' ')} UTC`;
  return {
    from,
    to: i.to,
    subject: `Invitation to ${i.orgName} as ${role}`,
    text: [
      'Hello,',
      '',
      `${i.by ?? "The license server's operator"} invited you to join the organisation "${i.orgName}" as ${role} in the Katalon license console.`,
      '',
      `Open this link to accept (it works once, until ${expires}):`,
      '',
      i.link,
      '',
      'If you did not expect this invitation, ignore this e-mail: nothing happens unless the link is opened and accepted.',
      '',
      '-- ',
      'katalon-license-server',
      '',
    ].join('\n'),
  };
};
