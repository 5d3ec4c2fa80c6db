// katalonc license list / install.
import { basename, join } from 'node:path';
import { fail } from '../../core/errors.ts';
import { ExitCode } from '../../core/errors.ts';
import { validateLicense } from '../../core/license/validate.ts';
import { licenseFileName } from '../../core/license/format.ts';
import { licenseDir } from '../../platform/paths.ts';
import { createNewFile } from '../../platform/files.ts';
import { machineIdReport } from '../../platform/machine/index.ts';
import { environment } from '../../platform/environment.ts';
import { trustedNow } from '../../platform/clock.ts';
import { checkFolder } from '../../client/offline.ts';
import { readLicenseText } from '../../client/license-folder.ts';
import { readMark } from '../../client/state.ts';
import { buildKind, DEVELOPMENT_NOTICE, revokedKeyIds, rootKeys } from '../../client/trust.ts';
import type { ClientOptions } from '../../client/settings.ts';
import { bad, bold, dim, ok, warn } from '../../command-line/output.ts';
import { printable } from '../../core/text.ts';
import type { Result } from '../../command-line/runner.ts';

const colour = (status: string): string =>
  status === 'valid' ? ok(status) : status === 'testing' ? bold(status) : bad(status);

export const listLicenses = async (opts: ClientOptions): Promise<Result> => {
  const report = await checkFolder(opts);
  for (const w of report.warnings) warn(w);
  const lines = async () => {
    const out = [
      `${bold('License folder:')} ${report.folder}${report.exists ? '' : dim(' (does not exist yet)')}`,
      `${bold('Machine ID:')} ${report.machineId}`,
    ];
    if (report.licenses.length > 0) {
      const { default: Table } = await import('cli-table3');
      const table = new Table({
        head: ['File', 'Product', 'Status', 'Expires', 'Reason'],
        style: { head: [], border: [] },
        wordWrap: true,
        // As wide as the longest reason (and its padding), up to 60 columns: longer ones wrap.
        colWidths: [
          null,
          null,
          null,
          null,
          Math.min(
            60,
            Math.max('Reason'.length, ...report.licenses.map((l) => l.message.length)) + 2,
          ),
        ] as number[],
      });
      for (const l of report.licenses)
        table.push([
          printable(l.file),
          l.product ?? '',
          colour(l.status),
          l.expiresAt?.slice(0, 10) ?? '',
          l.message,
        ]);
      out.push(table.toString());
    }
    out.push(`The number of valid offline licenses: ${report.valid}`);
    if (buildKind() === 'development') out.push(dim(DEVELOPMENT_NOTICE));
    return out;
  };
  return {
    data: {
      folder: report.folder,
      machineId: report.machineId,
      licenses: report.licenses.map((l) => ({
        file: l.file,
        status: l.status,
        product: l.product ?? null,
        machineId: l.machineId ?? null,
        expiresAt: l.expiresAt ?? null,
        message: l.message,
      })),
      valid: report.valid,
      offlineRefused: report.refused,
      build: buildKind(),
    },
    lines,
    exitCode: report.valid === 0 ? ExitCode.noLicense : ExitCode.ok,
  };
};

export const installLicense = async (file: string, opts: ClientOptions): Promise<Result> => {
  const read = readLicenseText(file);
  if ('error' in read)
    throw fail(
      'FILE_ERROR',
      `cannot read ${file} (${read.error.code ?? read.error.message}): ${
        read.error.code === 'ENOENT'
          ? 'check the path of the downloaded .lic file'
          : read.error.code === 'EACCES'
            ? 'make it readable by this user (or copy it somewhere that is)'
            : 'give the path of a license file'
      }`,
    );
  const name = basename(file);
  if ('notALicense' in read)
    throw fail(
      'INVALID_LICENSE_FILE',
      `${name} was not installed (malformed): it ${read.notALicense}`,
    );
  const { text } = read;
  const { machineId } = await machineIdReport();
  const v = validateLicense(text, {
    machineId,
    product: opts.product,
    roots: rootKeys(),
    revokedKeyIds: await revokedKeyIds(licenseDir(opts.licenseDir)),
    now: trustedNow().now,
    highWaterMark: readMark(licenseDir(opts.licenseDir)),
  });
  if (v.status !== 'valid' && v.status !== 'testing')
    throw fail('INVALID_LICENSE_FILE', `${name} was not installed (${v.status}): ${v.message}`);
  const installed = (await checkFolder(opts)).licenses.find((l) => l.licenseId === v.payload!.id);
  if (installed)
    return {
      data: {
        file: join(licenseDir(opts.licenseDir), installed.file),
        status: v.status,
        alreadyInstalled: true,
      },
      lines: [
        `Already installed as ${printable(installed.file)} (a copy would count once): nothing changed`,
      ],
    };
  // Named as the seeds name licenses (whatever the download was called), so that the folder scan
  // sees it: "stdin" or "license.txt" would be ignored there.
  const p = v.payload!;
  const target = createNewFile(licenseDir(opts.licenseDir), licenseFileName(p), text);
  if (process.platform === 'win32') {
    // ".katalon" is a hidden folder on Windows too; best effort, the license works either way.
    const { execFile } = await import('node:child_process');
    execFile('attrib', ['+h', `${environment.userProfile}\\.katalon`], () => {});
  }
  return {
    data: { file: target, status: v.status, expiresAt: v.payload!.expiresAt },
    lines: [`${ok('Installed')} ${target} (${v.status}: ${v.message})`],
  };
};
