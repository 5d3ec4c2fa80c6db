// Offline activation: the license folder, validated for this machine, and one license held per
// running katalonc (a seat named after the license's seat key, so copies of one file count once).
// Refused where this machine's identity cannot be trusted (a user namespace of the user's own).
import { join } from 'node:path';
import { offlineRefusal } from '../core/machine-id/namespace.ts';
import { licenseDir } from '../platform/paths.ts';
import { trustedNow } from '../platform/clock.ts';
import { machineIdReport } from '../platform/machine/index.ts';
import { seatKeyOf } from '../core/license/seats.ts';
import { identityDistrust } from '../platform/machine/namespace.ts';
import { holdSeat } from '../platform/slot-lock/index.ts';
import type { Product } from '../core/vocabulary.ts';
import { scanFolder, type FolderReport } from './license-folder.ts';
import { revokedKeyIds, rootKeys } from './trust.ts';
import type { LicenseHold } from './hold.ts';

export const checkFolder = async (opts: {
  licenseDir?: string;
  product: Product;
}): Promise<FolderReport & { refused: string | null }> => {
  const machine = await machineIdReport();
  const folder = licenseDir(opts.licenseDir);
  const clock = trustedNow();
  const report = await scanFolder(
    folder,
    {
      machineId: machine.machineId,
      product: opts.product,
      roots: rootKeys,
      revokedKeyIds: await revokedKeyIds(folder),
    },
    clock.now,
  );
  const reasons = identityDistrust(machine, { rootCheck: true });
  const refused = reasons.length > 0 ? offlineRefusal(reasons) : null;
  const warnings = [...(clock.warning ? [clock.warning] : []), ...report.warnings];
  return refused
    ? { ...report, warnings: [refused, ...warnings], usable: [], valid: 0, refused }
    : { ...report, warnings, refused };
};

export const holdOfflineLicense = async (report: FolderReport): Promise<LicenseHold | null> => {
  for (const license of report.usable) {
    const file = join(report.folder, license.file);
    const lock = await holdSeat(seatKeyOf(license), file);
    if (lock) {
      return {
        description: `offline license ${license.file} (valid until ${license.expiresAt!.slice(0, 10)})`,
        license: {
          kind: 'offline',
          product: license.product!,
          // Only node-locked pools issue offline licenses.
          model: 'node-locked',
          orgId: license.orgId!,
          file,
          expiresAt: license.expiresAt!,
        },
        release: () => lock.release(),
        ...(lock.fds ? { lockFds: lock.fds } : {}),
        lost: new Promise(() => {}),
      };
    }
  }
  return null;
};
