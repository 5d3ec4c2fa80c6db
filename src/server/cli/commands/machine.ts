// Registered machines: removing one frees its place in the machine quota and ends its sessions.
import type { ResultCommand } from '../../../command-line/command.ts';
import { admin } from '../admin.ts';
import { orgOption, productOption, type PoolOptions } from '../options.ts';

export const machineCommand = (program: ResultCommand): void => {
  program
    .command('machine')
    .description('registered machines')
    .command('remove')
    .addOption(orgOption())
    .addOption(productOption())
    .requiredOption('--machine-id <id>')
    .returns(
      admin((s, o: PoolOptions & { machineId: string }) =>
        s.removeMachine(o.org, o.product, o.machineId),
      ),
    );
};
