// A real SMTP server (nodemailer's smtp-server) on a free loopback port, in the test's process: it
// keeps every message it takes, and can ask for a password or refuse every recipient.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';

export interface Received {
  /** The envelope's sender and recipients, as the client gave them. */
  from: string;
  to: string[];
  /** The From and Subject headers, and the text body decoded. */
  headerFrom: string;
  subject: string;
  text: string;
}

export interface TestSmtp {
  /** smtp://[user:pass@]127.0.0.1:port: the value of KLS_SMTP_URL. */
  url: string;
  received: Received[];
  /** The one message to `to` received after the `seen` first ones (waits for it). */
  next(to: string, seen?: number): Promise<Received>;
  close(): Promise<void>;
}

/** The text body of a plain message (quoted-printable or 7bit), and its headers unfolded. */
const parse = (raw: string) => {
  const at = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) =>
    new RegExp(`^${name}: (.*)$`, 'im').exec(headers)?.[1].trim() ?? '';
  let text = raw.slice(at + 4);
  if (/quoted-printable/i.test(header('Content-Transfer-Encoding')))
    text = Buffer.from(
      text
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  return {
    headerFrom: header('From'),
    subject: header('Subject'),
    text: text.replace(/\r\n/g, '\n'),
  };
};

export const startSmtp = async (
  o: { auth?: { user: string; pass: string }; refuse?: true } = {},
): Promise<TestSmtp> => {
  const received: Received[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (its self-signed certificate would be refused).
    disabledCommands: o.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !o.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth: (auth, _session, done) =>
      auth.username === o.auth?.user && auth.password === o.auth?.pass
        ? done(null, { user: auth.username })
        : done(new Error('Invalid username or password')),
    onRcptTo: (address, _session, done) =>
      o.refuse
        ? done(
            Object.assign(new Error(`mailbox ${address.address} unavailable`), {
              responseCode: 550,
            }),
          )
        : done(),
    onData: (stream, session, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parse(Buffer.concat(chunks).toString('utf8')),
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const auth = o.auth
    ? `${encodeURIComponent(o.auth.user)}:${encodeURIComponent(o.auth.pass)}@`
    : '';
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    received,
    next: async (to, seen = 0) => {
      const mine = () => received.filter((m) => m.to.includes(to));
      await expect.poll(() => mine().length, { timeout: 15_000 }).toBeGreaterThan(seen);
      return mine()[seen];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** The invitation link in a message's text. */
export const linkIn = (m: Received): string =>
  /^(https?:\/\/\S+\/console\/invitations\/\S+)$/m.exec(m.text)![1];
