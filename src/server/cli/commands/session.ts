// Online sessions: the runs that hold a license now, and ending one.
import { Option } from 'commander';
import type { ResultCommand } from '../../../command-line/command.ts';
import { admin } from '../admin.ts';
import { positive } from '../options.ts';

export const sessionCommand = (program: ResultCommand): void => {
  const session = program.command('session').description('online sessions');
  session
    .command('list')
    .addOption(new Option('--org <id>').argParser(positive('--org', 1, Number.MAX_SAFE_INTEGER)))
    .returns(
      admin(async (s, o: { org?: number }) => ({ sessions: await s.listSessions(o.org) }), 'read'),
    );
  session
    .command('terminate')
    .requiredOption('--id <session>')
    .option('--reason <text>', 'shown to the user', 'terminated by an admin')
    .returns(admin((s, o: { id: string; reason: string }) => s.terminateSession(o.id, o.reason)));
};
