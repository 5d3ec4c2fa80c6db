// Offline activation: the license folder, validated for this machine, and one license file held
// per running katalonc (a lock named after the license id, so copies of one file count once).
import { join } from 'node:path';
import { licenseDir } from '../platform/paths.ts';
import { machineIdReport } from '../platform/machine/index.ts';
import { tryLock } from '../platform/slot-lock/index.ts';
import { seatKeyOf } from '../core/license/seats.ts';
import type { Product } from '../core/vocabulary.ts';
import { scanFolder, type FolderReport } from './license-folder.ts';
import { revokedKeyIds, rootKeys } from './trust.ts';
import type { LicenseHold } from './hold.ts';

export const checkFolder = async (opts: {
  licenseDir?: string;
  product: Product;
}): Promise<FolderReport> => {
  const { machineId } = await machineIdReport();
  const folder = licenseDir(opts.licenseDir);
  return scanFolder(folder, {
    machineId,
    product: opts.product,
    roots: rootKeys,
    revokedKeyIds: await revokedKeyIds(folder),
  });
};

export const holdOfflineLicense = async (report: FolderReport): Promise<LicenseHold | null> => {
  for (const license of report.usable) {
    const lock = await tryLock(seatKeyOf(license));
    if (lock) {
      return {
        description: `offline license ${license.file} (valid until ${license.expiresAt!.slice(0, 10)})`,
        license: {
          kind: 'offline',
          product: license.product!,
          orgId: license.orgId!,
          file: join(report.folder, license.file),
          expiresAt: license.expiresAt!,
        },
        release: () => lock.release(),
        ...(lock.handle ? { lockHandle: lock.handle } : {}),
        lost: new Promise(() => {}),
      };
    }
  }
  return null;
};
