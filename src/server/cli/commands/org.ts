// Organisations, and the invitations with which people join one in the console.
import { Option } from 'commander';
import { ROLES, type Role } from '../../../core/vocabulary.ts';
import { isLoopbackAddress } from '../../../core/strict.ts';
import { warn } from '../../../command-line/output.ts';
import type { ResultCommand } from '../../../command-line/command.ts';
import type { AdminOps } from '../../remote-admin.ts';
import { serverUrlOf } from '../../data-dir.ts';
import { admin } from '../admin.ts';
import { orgOption, type Global } from '../options.ts';

/**
 * The console link of an invitation, on the server as its users reach it: --server, KLS_PUBLIC_URL,
 * or the address the server running on this data dir recorded.
 */
const invitationLink = (token: string, { server, dataDir }: Global): string => {
  let base = server ?? serverUrlOf(dataDir);
  if (!base) {
    base = 'http://127.0.0.1:8080';
    warn(
      `no server has started on ${dataDir} and KLS_PUBLIC_URL is not set: the link assumes ${base}; set KLS_PUBLIC_URL to the address users reach the server at`,
    );
  }
  return `${base.replace(/\/+$/, '')}/console/invitations/${token}`;
};
const invitation = async (
  s: AdminOps,
  r: { orgId: number; email: string; role: Role },
  global: Global,
): Promise<Record<string, string>> => {
  const { token, ...rest } = await s.invite(r);
  // The invitation stands either way: its link is printed for whoever passes it on instead.
  if (rest.mailError)
    warn(
      `the invitation could not be e-mailed to ${rest.email} (${rest.mailError}): give them the link`,
    );
  const link = invitationLink(token, global);
  if (rest.mailedTo && isLoopbackAddress(link))
    warn(
      `the e-mailed link points at ${new URL(link).origin}, which only this machine reaches: set KLS_PUBLIC_URL to the address users reach the server at, and send a New link`,
    );
  return { ...rest, link };
};

export const orgCommand = (program: ResultCommand): void => {
  const org = program.command('org').description('organisations');
  org.command('list').returns(admin(async (s) => ({ orgs: await s.listOrgs() }), 'read'));
  org
    .command('create')
    .requiredOption('--name <name>')
    .option(
      '--owner-email <email>',
      "invite the organisation's first Owner: prints their one-time link",
    )
    .returns(
      admin(async (s, o: { name: string; ownerEmail?: string }, global) => {
        const created = await s.createOrg(o.name);
        if (!o.ownerEmail) return created;
        const owner = await invitation(
          s,
          { orgId: created.id, email: o.ownerEmail, role: 'owner' },
          global,
        );
        return { ...created, ownerInvitation: owner };
      }),
    );
};

export const inviteCommand = (program: ResultCommand): void => {
  program
    .command('invite')
    .description(
      'a one-time link (valid 7 days) with which someone joins an organisation in the console (KLS_PUBLIC_URL: the address in it), e-mailed to them with KLS_SMTP_URL',
    )
    .addOption(orgOption())
    .requiredOption('--email <email>')
    .addOption(
      new Option('--role <role>', 'their role in the organisation')
        .choices(ROLES)
        .default('member'),
    )
    .returns(
      admin((s, o: { org: number; email: string; role: Role }, global) =>
        invitation(s, { orgId: o.org, email: o.email, role: o.role }, global),
      ),
    );
};
