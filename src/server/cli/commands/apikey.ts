// API keys: a member's, shown once and stored only as hashes.
import { Option } from 'commander';
import type { ResultCommand } from '../../../command-line/command.ts';
import { admin } from '../admin.ts';
import { orgOption, positive } from '../options.ts';

export const apikeyCommand = (program: ResultCommand): void => {
  const apikey = program
    .command('apikey')
    .description('API keys (shown once; stored only as hashes)');
  apikey
    .command('list')
    .description('the keys of the members (prefixes only)')
    .addOption(orgOption())
    .returns(
      admin(async (s, o: { org: number }) => ({ apiKeys: await s.listApiKeys(o.org) }), 'read'),
    );
  apikey
    .command('create')
    .addOption(orgOption())
    .requiredOption('--email <email>')
    .returns(admin((s, o: { org: number; email: string }) => s.createApiKey(o.org, o.email)));
  apikey
    .command('revoke')
    .addOption(
      new Option('--id <id>', 'the id "apikey create" printed')
        .argParser(positive('--id', 1, Number.MAX_SAFE_INTEGER))
        .makeOptionMandatory(),
    )
    .returns(admin((s, o: { id: number }) => s.revokeApiKey(o.id)));
};
