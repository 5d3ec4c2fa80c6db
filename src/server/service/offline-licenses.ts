// Issuing offline and testing licenses: signed files bound to one machine. An offline license is
// irrevocable and uses one license of the pool until it expires; a testing license proves a
// machine ID and uses nothing.
import { randomUUID } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import { signLicense } from '../../core/license/format.ts';
import { signTime } from '../../core/license/time.ts';
import { offlineExpiry, offlineRefusal, subscriptionRefusal } from '../../core/quota.ts';
import type { LicenseKind, Product } from '../../core/vocabulary.ts';
import { certificateRefusal } from '../../core/license/certificate.ts';
import { lowestFreeSeat } from '../../core/license/seats.ts';
import {
  insertOfflineLicense,
  recountOffline,
  registerMachine,
  seatsHeld,
  toPool,
} from '../repository/pools.ts';
import { audit } from './audit.ts';
import { checkMachineId, poolOrFail } from './checks.ts';
import { iso } from '../../core/text.ts';
import { takeSeat } from './seats.ts';
import type { Context } from './context.ts';

export interface OfflineRequest {
  orgId: number;
  product: Product;
  machineId: string;
  /** An earlier expiry than the default, ms. */
  expiresAt?: number;
  testing: boolean;
}

export interface IssuedLicense {
  id: string;
  fileName: string;
  text: string;
  kind: LicenseKind;
  expiresAt: string;
  /** Why the expiry is earlier than the one asked for, if it is. */
  capped?: string;
}

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
     * Issues a license. `deliver` (writing the file, say) runs before the license is committed: if
     * it fails, nothing was issued and no quota is used.
     */
    createOffline: async <T = IssuedLicense>(
      p: OfflineRequest,
      deliver: (license: IssuedLicense) => Promise<T> | T = (license) => license as T,
    ): Promise<T> => {
      // Before anything: a typo must never burn an irrevocable license.
      const machineId = checkMachineId(p.machineId);
      await leases.flush();
      return ctx.events.transaction(async (tx) => {
        const now = clock();
        const pool = await poolOrFail(tx, p.orgId, p.product);
        const rules = toPool(pool);
        // A testing license uses no license of the pool and registers no machine.
        const takeOffline = async () => {
          const newMachine = await registerMachine(tx, {
            poolId: pool.id,
            machineId,
            hostname: null,
            now,
          });
          return (await takeSeat(ctx, tx, pool, { session: 'none', newMachine }, now)).refusal;
        };
        const refusal =
          offlineRefusal(rules) ??
          (p.testing ? subscriptionRefusal(rules, now) : await takeOffline());
        if (refusal) throw fail(refusal.code, refusal.message);
        const { certificate } = issuer;
        if (!certificate)
          throw fail(
            'LICENSE_REFUSED',
            'this server has no issuer certificate, so katalonc would not accept its licenses: have the licensor certify its key ("katalon-license-server keys public", then "root certify") and install it with "certificate install"',
          );
        const cert = certificate.fields;
        if (p.expiresAt !== undefined && p.expiresAt <= now)
          throw fail('BAD_REQUEST', `the expiry ${iso(p.expiresAt)} is in the past`);
        const limit = certificateRefusal(cert, String(pool.org_id), p.product, now);
        if (limit) throw fail('LICENSE_REFUSED', `this server's issuer certificate ${limit}`);
        // An offline license holds the lowest seat of the certificate that no unexpired license
        // holds (an expired one frees its number); a testing license holds none.
        let seat: number | null = null;
        if (!p.testing) {
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
        const id = randomUUID();
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
            product: p.product,
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
        const fileName = `${p.product}_${machineId}.lic`;
        const capped =
          p.expiresAt !== undefined && expiresAt < p.expiresAt
            ? `the expiry asked for (${iso(p.expiresAt).slice(0, 10)}) was capped at ${iso(expiresAt).slice(0, 10)}: an offline license lasts at most ${p.testing ? 'a day' : '60 days'}, and never past the subscription or this server's certificate`
            : undefined;
        await audit(
          ctx,
          tx,
          pool.org_id,
          `${kind} license issued`,
          `${p.product}: ${machineId}, until ${iso(expiresAt)}${seat === null ? '' : `, seat ${seat} of certificate ${cert.id}`}`,
        );
        ctx.events.record(tx, {
          orgId: pool.org_id,
          product: p.product,
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
        });
      });
    },
  };
};
