// License pools: an organisation's quota of one product, and who may use it.
import { Option } from 'commander';
import {
  BILLING_CYCLES,
  POOL_MODELS,
  type Billing,
  type PoolModel,
} from '../../../core/vocabulary.ts';
import { OUTAGE_GRACE_MINUTES } from '../../../core/quota.ts';
import type { ResultCommand } from '../../../command-line/command.ts';
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

interface PoolCreateOptions extends Omit<PoolOptions, 'model'> {
  model: PoolModel;
  billing: Billing;
  quota: number;
  machineQuota: number;
  expires: number;
  outageGrace?: number;
}

const outageGraceOption = () =>
  new Option(
    '--outage-grace <minutes>',
    `how long a run cut off from the server goes on past its lease (default ${OUTAGE_GRACE_MINUTES.default})`,
  ).argParser(positive('--outage-grace', 0, OUTAGE_GRACE_MINUTES.max));

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
    .addOption(new Option('--quota <n>').argParser(positive('--quota')).makeOptionMandatory())
    .addOption(
      new Option('--machine-quota <n>')
        .argParser(positive('--machine-quota'))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--expires <date>', 'subscription end, YYYY-MM-DD')
        .argParser(date)
        .makeOptionMandatory(),
    )
    .addOption(outageGraceOption())
    .returns(
      admin((s, o: PoolCreateOptions) =>
        s.createPool({
          orgId: o.org,
          product: o.product,
          model: o.model,
          billing: o.billing,
          quota: o.quota,
          machineQuota: o.machineQuota,
          expiresAt: o.expires,
          ...(o.outageGrace === undefined ? {} : { outageGraceMinutes: o.outageGrace }),
        }),
      ),
    );
  pool
    .command('set')
    .description("change a pool's outage grace")
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .addOption(outageGraceOption().makeOptionMandatory())
    .returns(
      admin((s, o: PoolOptions & { outageGrace: number }) =>
        s.setOutageGrace(o.org, poolOf(o), o.outageGrace),
      ),
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
  pool
    .command('show')
    .addOption(orgOption())
    .addOption(productOption())
    .addOption(modelOption())
    .returns(admin((s, o: PoolOptions) => s.poolShow(o.org, poolOf(o)), 'read'));
};
