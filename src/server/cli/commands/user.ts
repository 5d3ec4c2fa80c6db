// The members of an organisation.
import type { ResultCommand } from '../../../command-line/command.ts';
import { admin } from '../admin.ts';
import { orgOption } from '../options.ts';

export const userCommand = (program: ResultCommand): void => {
  const user = program.command('user').description('organisation members');
  user
    .command('list')
    .addOption(orgOption())
    .returns(admin(async (s, o: { org: number }) => ({ users: await s.listUsers(o.org) }), 'read'));
  user
    .command('add')
    .addOption(orgOption())
    .requiredOption('--email <email>')
    .returns(admin((s, o: { org: number; email: string }) => s.addUser(o.org, o.email)));
  user
    .command('remove')
    .description('remove a member; their sessions end at the next heartbeat')
    .addOption(orgOption())
    .requiredOption('--email <email>')
    .returns(admin((s, o: { org: number; email: string }) => s.removeUser(o.org, o.email)));
};
