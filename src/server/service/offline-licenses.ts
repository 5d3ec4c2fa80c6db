// Issuing offline and testing licenses: signed files bound to one machine. An offline license is
// irrevocable and uses one license of the pool until it expires; a testing license proves a
// machine ID and uses nothing.
import { randomUUID } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import { licenseFileName, signLicense } from '../../core/license/format.ts';
import { signTime } from '../../core/license/time.ts';
import { offlineExpiry, offlineRefusal, subscriptionRefusal } from '../../core/quota.ts';
import { poolLabel, type PoolRef } from '../../core/pool-ref.ts';
import type { LicenseKind } from '../../core/vocabulary.ts';
import { certificateRefusal } from '../../core/license/certificate.ts';
import { lowestFreeSeat } from '../../core/license/seats.ts';
import { recountOffline, toPool } from '../repository/pools.ts';
import {
  fileTextOf,
  insertOfflineLicense,
  keepFileText,
  replaceableLicense,
  seatsHeld,
  supersede,
  type OfflineLicenseRow,
} from '../repository/offline-licenses.ts';
import { registerMachine } from '../repository/machines.ts';
import { authorized } from './actor.ts';
import type { Queries } from '../store/store.ts';
import { audit } from './audit.ts';
import { checkMachineId, poolOrFail } from './checks.ts';
import { iso } from '../../core/text.ts';
import { takeSeat } from './seats.ts';
import type { Context } from './context.ts';

/** `model` left out: the node-locked pool where the product has two (a floating one issues none). */
export interface OfflineRequest extends PoolRef {
  orgId: number;
  machineId: string;
  /** An earlier expiry than the default, ms. */
  expiresAt?: number;
  testing: boolean;
  /**
   * Re-issue the machine's unexpired offline license of this pool (one of an old format first)
   * without a second seat: the new one takes its seat, and it no longer counts.
   */
  replace?: boolean;
}

export interface IssuedLicense {
  id: string;
  fileName: string;
  text: string;
  kind: LicenseKind;
  expiresAt: string;
  /** Why the expiry is earlier than the one asked for, if it is. */
  capped?: string;
  /** The license this one superseded (replace). */
  replaces?: string;
}

/**
 * Marks the license a re-issue for `machineId` replaces as superseded by `id`, before the quota is
 * checked (so it no longer counts), and resolves to it. Only the same machine's license of the same
 * pool; a seat of another issuer certificate is refused, since katalonc would take the two files for
 * two seats.
 */
const supersedeFor = async (
  tx: Queries,
  poolId: number,
  machineId: string,
  id: string,
  certificateId: string | undefined,
  now: number,
  testing: boolean,
): Promise<OfflineLicenseRow> => {
  if (testing) throw fail('BAD_REQUEST', 'a testing license replaces nothing: leave out --replace');
  const old = await replaceableLicense(tx, poolId, machineId, now);
  if (!old)
    throw fail(
      'NOT_FOUND',
      `machine ${machineId} holds no unexpired offline license of this pool to replace: leave out --replace`,
    );
  if (certificateId !== undefined && old.seat !== null && old.certificate_id !== certificateId)
    throw fail(
      'LICENSE_REFUSED',
      `license ${old.id} holds seat ${old.seat} of another issuer certificate (${old.certificate_id}), which katalonc still accepts until ${iso(old.expires_at)}: a license under this server's certificate would be a second seat on that machine, so it cannot be replaced; it counts until it expires`,
    );
  // Another re-issue of the same license got there first: one replacement per license.
  if ((await supersede(tx, old.id, id)) !== 1)
    throw fail(
      'CONFLICT',
      `license ${old.id} was just replaced by another re-issue: list the pool's licenses`,
    );
  return old;
};

export const offlineLicenses = (ctx: Context) => {
  const { clock, leases, issuer } = ctx;
  return {
    /** This server's signed word for the time now, for an online nonce or one machine's file. */
    signedTime: (about: { nonce: string } | { machineId: string }) => {
      if (!issuer.certificate)
        throw fail(
          'LICENSE_REFUSED',
          'this server has no issuer certificate, so katalonc would not accept its time',
        );
      const machine = 'machineId' in about ? { machineId: checkMachineId(about.machineId) } : about;
      return {
        signedTime: signTime(issuer.signingKey, issuer.certificate.block, {
          id: randomUUID(),
          time: clock(),
          ...machine,
        }),
      };
    },

    /**
     * Installs the licensor's certificate for this server's key, through the running server (the
     * admin API): it issues under it at once. Only the operator.
     */
    installCertificate: async (text: string) => {
      await authorized(ctx.store, undefined, { kind: 'operate' });
      return { installed: 'the running server', ...issuer.install('the certificate sent', text) };
    },

    /**
     * An issued license's file again (a lost download: the license itself cannot be issued twice
     * without a second seat). Licenses issued before files were kept have none.
     */
    offlineFile: async (orgId: number, ref: PoolRef, id: string) => {
      await authorized(ctx.store, orgId, { kind: 'manage-licenses' });
      const pool = await poolOrFail(ctx.store, orgId, ref, 'node-locked');
      const { product } = pool;
      const kept = await fileTextOf(ctx.store, pool.id, id);
      if (!kept?.text)
        throw fail(
          'NOT_FOUND',
          kept
            ? `license ${id} was issued before this server kept license files: issue it again with "offline create --replace"`
            : `no license ${id} in the ${poolLabel(pool)} pool of organisation ${orgId}`,
        );
      return {
        fileName: licenseFileName({ product, machineId: kept.machine_id, kind: kept.kind }),
        text: kept.text,
      };
    },

    /**
     * Issues a license. `deliver` (writing the file, say) runs before the license is committed: if
     * it fails, nothing was issued and no quota is used.
     */
    createOffline: async <T = IssuedLicense>(
      p: OfflineRequest,
      deliver: (license: IssuedLicense) => Promise<T> | T = (license) => license as T,
    ): Promise<T> => {
      await leases.flush();
      return ctx.events.transaction(async (tx) => {
        // In the transaction that issues: a role taken away meanwhile issues nothing.
        await authorized(tx, p.orgId, { kind: 'manage-licenses' });
        // Before anything else: a typo must never burn an irrevocable license.
        const machineId = checkMachineId(p.machineId);
        const now = clock();
        const pool = await poolOrFail(tx, p.orgId, p, 'node-locked');
        const { product } = pool;
        // The subscription as read now; an offline license's, as read under the pool's lock.
        let rules = toPool(pool);
        const id = randomUUID();
        const { certificate } = issuer;
        const replaced = p.replace
          ? await supersedeFor(tx, pool.id, machineId, id, certificate?.fields.id, now, p.testing)
          : null;
        // A testing license uses no license of the pool and registers no machine.
        const takeOffline = async () => {
          const newMachine = await registerMachine(tx, {
            poolId: pool.id,
            machineId,
            hostname: null,
            now,
          });
          const taken = await takeSeat(ctx, tx, pool, { session: 'none', newMachine }, now);
          rules = taken.rules;
          return taken.refusal;
        };
        const refusal =
          offlineRefusal(rules) ??
          (p.testing ? subscriptionRefusal(rules, now) : await takeOffline());
        if (refusal) throw fail(refusal.code, refusal.message);
        if (!certificate)
          throw fail(
            'LICENSE_REFUSED',
            'this server has no issuer certificate, so katalonc would not accept its licenses: have the licensor certify its key ("katalon-license-server keys public", then "root certify") and install it with "certificate install"',
          );
        const cert = certificate.fields;
        if (p.expiresAt !== undefined && p.expiresAt <= now)
          throw fail('BAD_REQUEST', `the expiry ${iso(p.expiresAt)} is in the past`);
        const limit = certificateRefusal(cert, String(pool.org_id), product, now);
        if (limit) throw fail('LICENSE_REFUSED', `this server's issuer certificate ${limit}`);
        // An offline license holds the lowest seat of the certificate that no unexpired license
        // holds (an expired one frees its number), or the seat of the license it replaces, so that
        // both files on that machine are one seat; a testing license holds none.
        let seat: number | null = replaced?.seat ?? null;
        if (!p.testing && seat === null) {
          await tx.lockIssuance();
          seat = lowestFreeSeat(await seatsHeld(tx, cert.id, now), cert.maxLicenses);
          if (seat === null)
            throw fail(
              'LICENSE_REFUSED',
              `this server's issuer certificate allows ${cert.maxLicenses} offline licenses, all issued (a license's number is free again when it expires): ask the licensor for a new certificate`,
            );
        }
        // Never past the certificate: katalonc would refuse such a license.
        const expiresAt = Math.min(
          offlineExpiry(rules, now, p.testing, p.expiresAt),
          Date.parse(cert.notAfter),
        );
        // The replaced license still runs on its machine until it expires: were its replacement to
        // expire first, the machine would hold a license that no longer counts.
        if (replaced && expiresAt < replaced.expires_at)
          throw fail(
            'LICENSE_REFUSED',
            `the re-issued license would expire on ${iso(expiresAt).slice(0, 10)}, before license ${replaced.id} it replaces (${iso(replaced.expires_at).slice(0, 10)}): re-issue it with a later expiry, or without --replace`,
          );
        const kind: LicenseKind = p.testing ? 'testing' : 'offline';
        await insertOfflineLicense(tx, pool.id, {
          id,
          machine_id: machineId,
          kind,
          issued_at: now,
          expires_at: expiresAt,
          certificate_id: cert.id,
          seat,
        });
        if (!p.testing) await recountOffline(tx, pool.id, now);
        const text = signLicense(
          {
            id,
            product,
            kind,
            orgId: String(pool.org_id),
            orgName: pool.org_name,
            machineId,
            issuedAt: iso(now),
            expiresAt: iso(expiresAt),
            certificateId: cert.id,
            ...(seat === null ? {} : { seat }),
          },
          issuer.signingKey,
          certificate.block,
        );
        await keepFileText(tx, id, text);
        const fileName = licenseFileName({ product, machineId, kind });
        const capped =
          p.expiresAt !== undefined && expiresAt < p.expiresAt
            ? `the expiry asked for (${iso(p.expiresAt).slice(0, 10)}) was capped at ${iso(expiresAt).slice(0, 10)}: an offline license lasts at most ${p.testing ? 'a day' : '60 days'}, and never past the subscription or this server's certificate`
            : undefined;
        await audit(
          ctx,
          tx,
          pool.org_id,
          `${kind} license issued`,
          `${poolLabel(pool)}: ${machineId}, until ${iso(expiresAt)}${seat === null ? '' : `, seat ${seat} of certificate ${cert.id}`}${replaced ? `, replacing ${replaced.id}` : ''}`,
        );
        if (replaced)
          await audit(
            ctx,
            tx,
            pool.org_id,
            'offline license superseded',
            `${poolLabel(pool)}: ${machineId}: ${replaced.id} (until ${iso(replaced.expires_at)}) superseded by ${id}; it no longer counts against the quota`,
          );
        ctx.events.record(tx, {
          orgId: pool.org_id,
          product,
          model: pool.model,
          event: 'offline-issued',
          licenseId: id,
          kind,
          machineId,
          expiresAt: iso(expiresAt),
        });
        return deliver({
          id,
          fileName,
          text,
          kind,
          expiresAt: iso(expiresAt),
          ...(capped ? { capped } : {}),
          ...(replaced ? { replaces: replaced.id } : {}),
        });
      });
    },
  };
};
