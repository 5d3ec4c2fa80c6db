// Offline licenses for air-gapped machines, and the signed time that resets such a machine's clock
// mark: both written as files for the admin to hand over.
import { Option } from 'commander';
import { fail } from '../../../core/errors.ts';
import { errnoCode } from '../../../platform/errno.ts';
import { createNewFile } from '../../../platform/files.ts';
import type { ResultCommand } from '../../../command-line/command.ts';
import { admin } from '../admin.ts';
import {
  date,
  modelOption,
  orgOption,
  poolOf,
  productOption,
  type PoolOptions,
} from '../options.ts';

interface OfflineOptions extends PoolOptions {
  machineId: string;
  expires?: number;
  testing?: boolean;
  replace?: boolean;
  out: string;
}

/** An issued license's file in `dir`; a file that cannot be written is an error that says so. */
const writeIssued = (dir: string, fileName: string, text: string): string => {
  try {
    return createNewFile(dir, fileName, text);
  } catch (error) {
    throw fail(
      'FILE_ERROR',
      `cannot write ${fileName} into ${dir} (${errnoCode(error) ?? (error as Error).message}): nothing was issued`,
    );
  }
};

export const offlineCommand = (program: ResultCommand): void => {
  const offline = program.command('offline').description('offline licenses');
  offline
    .command('create')
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .requiredOption('--machine-id <id>', 'the ID "katalonc --print-machine-id" printed')
    .addOption(
      new Option('--expires <date>', 'an earlier expiry than the default 60 days').argParser(date),
    )
    .option('--testing', 'a testing license: proves the machine ID, runs nothing, uses no quota')
    .option(
      '--replace',
      "re-issue the machine's license of this pool (an old format's first) in its seat: no second license used",
    )
    .requiredOption('--out <dir>', 'folder to write the .lic file to')
    .returns(
      admin((s, o: OfflineOptions) =>
        s.createOffline(
          {
            orgId: o.org,
            ...poolOf(o),
            machineId: o.machineId,
            testing: Boolean(o.testing),
            replace: Boolean(o.replace),
            ...(o.expires === undefined ? {} : { expiresAt: o.expires }),
          },
          // On the data dir, written before the license is committed: a file that cannot be
          // written burns no quota. (Through --server the API commits first.)
          (license) => ({
            file: writeIssued(o.out, license.fileName, license.text),
            id: license.id,
            kind: license.kind,
            expiresAt: license.expiresAt,
            ...(license.capped ? { capped: license.capped } : {}),
            ...(license.replaces ? { replaces: license.replaces } : {}),
          }),
        ),
      ),
    );
  offline
    .command('time')
    .description(
      'a signed time for one air-gapped machine, to reset its clock mark (katalonc clock sync --file)',
    )
    .requiredOption('--machine-id <id>', 'the ID "katalonc --print-machine-id" printed')
    .requiredOption('--out <dir>', 'folder to write the .ktime file to')
    .returns(
      admin(async (s, o: { machineId: string; out: string }) => {
        const { signedTime } = await s.signedTime({ machineId: o.machineId });
        const file = createNewFile(
          o.out,
          `time_${o.machineId.trim().toUpperCase()}.ktime`,
          signedTime,
        );
        return { file };
      }),
    );
};
