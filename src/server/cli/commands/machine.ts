// Registered machines: removing one frees its place in the machine quota and ends its sessions.
import type { ResultCommand } from '../../../command-line/command.ts';
import { admin } from '../admin.ts';
import { modelOption, orgOption, poolOf, productOption, type PoolOptions } from '../options.ts';

export const machineCommand = (program: ResultCommand): void => {
  program
    .command('machine')
    .description('registered machines')
    .command('remove')
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .requiredOption('--machine-id <id>')
    .returns(
      admin((s, o: PoolOptions & { machineId: string }) =>
        s.removeMachine(o.org, poolOf(o), o.machineId),
      ),
    );
};
