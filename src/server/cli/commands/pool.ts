// License pools: an organisation's quota of one product, and who may use it.
import { InvalidArgumentError, Option } from 'commander';
import { CURSOR_PATTERN, PAGE_ROWS } from '../../../core/paging.ts';
import {
  BILLING_CYCLES,
  POOL_MODELS,
  type Billing,
  type PoolModel,
} from '../../../core/vocabulary.ts';
import { OUTAGE_GRACE_MINUTES } from '../../../core/quota.ts';
import type { ResultCommand } from '../../../command-line/command.ts';
import { warn } from '../../../command-line/output.ts';
import { admin } from '../admin.ts';
import {
  date,
  modelOption,
  orgOption,
  poolOf,
  positive,
  productOption,
  type PoolOptions,
} from '../options.ts';

/** What `pool set` changes (at least one): the subscription, the outage grace. */
interface PoolChangeOptions {
  quota?: number;
  machineQuota?: number;
  expires?: number;
  outageGrace?: number;
}

interface PoolCreateOptions extends Omit<PoolOptions, 'model'>, PoolChangeOptions {
  model: PoolModel;
  billing: Billing;
  quota: number;
  expires: number;
}

const quotaOption = () =>
  new Option('--quota <n>', 'licenses in use at once (sessions and offline licenses)').argParser(
    positive('--quota'),
  );
const machineQuotaOption = (more = '') =>
  new Option('--machine-quota <n>', `machines that may register${more}`).argParser(
    positive('--machine-quota'),
  );
const expiresOption = () =>
  new Option('--expires <date>', 'subscription end, YYYY-MM-DD').argParser(date);
const outageGraceOption = (more = '') =>
  new Option(
    '--outage-grace <minutes>',
    `how long a run cut off from the server goes on past its lease${more}`,
  ).argParser(positive('--outage-grace', 0, OUTAGE_GRACE_MINUTES.max));

/** The change the options name, as the service takes it. */
const changeOf = (o: PoolChangeOptions) => ({
  ...(o.quota === undefined ? {} : { quota: o.quota }),
  ...(o.machineQuota === undefined ? {} : { machineQuota: o.machineQuota }),
  ...(o.expires === undefined ? {} : { expiresAt: o.expires }),
  ...(o.outageGrace === undefined ? {} : { outageGraceMinutes: o.outageGrace }),
});

export const poolCommand = (program: ResultCommand): void => {
  const pool = program.command('pool').description('license pools');
  pool
    .command('list')
    .addOption(orgOption())
    .returns(admin(async (s, o: { org: number }) => ({ pools: await s.listPools(o.org) }), 'read'));
  pool
    .command('create')
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(new Option('--model <model>').choices(POOL_MODELS).makeOptionMandatory())
    .addOption(new Option('--billing <cycle>').choices(BILLING_CYCLES).makeOptionMandatory())
    .addOption(quotaOption().makeOptionMandatory())
    .addOption(machineQuotaOption(' (node-locked pools: required; floating ones enforce none)'))
    .addOption(expiresOption().makeOptionMandatory())
    .addOption(outageGraceOption(` (default ${OUTAGE_GRACE_MINUTES.default})`))
    .returns(
      admin((s, o: PoolCreateOptions) =>
        s.createPool({
          orgId: o.org,
          product: o.product,
          model: o.model,
          billing: o.billing,
          ...changeOf(o),
          quota: o.quota,
          expiresAt: o.expires,
        }),
      ),
    );
  pool
    .command('set')
    .description(
      'change a pool, at least one of: its expiry (renewal), quota, machine quota, outage grace',
    )
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .addOption(quotaOption())
    .addOption(machineQuotaOption())
    .addOption(expiresOption())
    .addOption(outageGraceOption())
    .returns(
      admin(async (s, o: PoolOptions & PoolChangeOptions) => {
        const changed = await s.changePool(o.org, poolOf(o), changeOf(o));
        if (typeof changed.note === 'string') warn(changed.note);
        return changed;
      }),
    );
  pool
    .command('grant')
    .description('make a member a licensed user (KSE)')
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .requiredOption('--email <email>')
    .returns(admin((s, o: PoolOptions & { email: string }) => s.grant(o.org, poolOf(o), o.email)));
  pool
    .command('revoke')
    .description('withdraw a licensed user; their sessions end')
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .requiredOption('--email <email>')
    .returns(
      admin((s, o: PoolOptions & { email: string }) => s.revokeGrant(o.org, poolOf(o), o.email)),
    );
  // A page of each list (core/paging.ts), as the console and the admin API page them: the answer's
  // "paging" says how many each finds and the cursor of its next page ("older").
  const cursorOption = (list: string) =>
    new Option(
      `--${list}-before <cursor>`,
      `the page of ${list} after this one ("paging.${list}.older" of the page before)`,
    ).argParser((v) => {
      if (!new RegExp(CURSOR_PATTERN).test(v))
        throw new InvalidArgumentError(
          `"${v}" is not a cursor: give the "older" of the page before, as it was printed`,
        );
      return v;
    });
  pool
    .command('show')
    .description(`a pool, its live sessions and machines ${PAGE_ROWS} at a time, newest first`)
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .addOption(cursorOption('sessions'))
    .addOption(cursorOption('machines'))
    .option(
      '--prefix <text>',
      'only the sessions and machines whose machine ID, hostname or user e-mail starts with it',
    )
    .returns(
      admin(
        (
          s,
          o: PoolOptions & { sessionsBefore?: string; machinesBefore?: string; prefix?: string },
        ) =>
          s.poolShow(o.org, poolOf(o), {
            sessionsBefore: o.sessionsBefore,
            machinesBefore: o.machinesBefore,
            prefix: o.prefix,
          }),
        'read',
      ),
    );
};
