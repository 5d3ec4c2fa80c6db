// The chain of trust from the command line. On a server: its public key (keys public) and the
// certificate the licensor made for it (certificate install). On the licensor's side: root keys and
// what they sign (root create, certify, revoke). A root's private key belongs offline, with the
// licensor; katalonc release builds carry its public key (KATALONC_BUILTIN_KEYS).
import { Option } from 'commander';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, isKatalonError } from '../../../core/errors.ts';
import { errnoCode, readTextOrFail } from '../../../platform/errno.ts';
import { PRODUCTS } from '../../../core/vocabulary.ts';
import {
  armorCertificate,
  certificateFields,
  certify,
  revoke,
} from '../../../core/license/certificate.ts';
import {
  generateSigningKey,
  signingKeyFromPem,
  type SigningKey,
} from '../../../core/license/keys.ts';
import type { ResultCommand } from '../../../command-line/command.ts';
import { CERTIFICATE_FILE, installCertificate, openSigningKey } from '../../data-dir.ts';
import { admin, existingDataDirOrFail, shown } from '../admin.ts';
import { date, positive, type Global } from '../options.ts';

const readRootKey = (file: string): SigningKey => {
  try {
    return signingKeyFromPem(readTextOrFail(file, 'FILE_ERROR'));
  } catch (error) {
    if (isKatalonError(error)) throw error;
    throw fail('INVALID_ARGUMENT', `${file} is not a private key (PEM) made by "root create"`);
  }
};

/** Writes a file that must not exist yet: a root's output never overwrites one. */
const writeNewFile = (file: string, text: string, mode: number): Promise<void> =>
  writeFile(file, text, { mode, flag: 'wx' }).catch((error: unknown) => {
    throw fail('FILE_ERROR', `cannot create ${file} (${errnoCode(error)}): choose a new file`);
  });

export const keysCommand = (program: ResultCommand): void => {
  program
    .command('keys')
    .description('the signing key')
    .command('public')
    .description('print the public key, for the licensor to certify ("root certify --server-key")')
    .returns((_o: unknown, cmd: ResultCommand) => {
      const { dataDir } = cmd.optsWithGlobals<Global>();
      // Made on first use in an existing data dir (one made to certify before the first start).
      existingDataDirOrFail(dataDir, false);
      const signingKey = openSigningKey(dataDir);
      return {
        data: { keyId: signingKey.keyId, publicKey: signingKey.publicKey.text },
        lines: [signingKey.publicKey.text],
      };
    });
};

export const certificateCommand = (program: ResultCommand): void => {
  program
    .command('certificate')
    .description("the root's certificate for this server's key (needed to issue offline licenses)")
    .command('install')
    .argument('<file>', 'the .cert file "root certify" wrote')
    .returns((file: string, o: unknown, cmd: ResultCommand) => {
      const { dataDir, server } = cmd.optsWithGlobals<Global>();
      const text = readTextOrFail(file, 'FILE_ERROR');
      // Through a running server (--server): it issues under the certificate at once.
      if (server) return admin((s) => s.installCertificate(text))(o, cmd);
      existingDataDirOrFail(dataDir);
      const fields = installCertificate(dataDir, file, text);
      return shown({ installed: join(dataDir, CERTIFICATE_FILE), ...fields });
    });
};

interface CertifyOptions {
  root: string;
  serverKey: string;
  orgs: string;
  products: string;
  maxLicenses: number;
  until: number;
  out: string;
}

export const rootCommand = (program: ResultCommand): void => {
  const root = program
    .command('root')
    .description("the licensor's root keys: certify servers, revoke their keys");
  const rootKeyOption = () =>
    new Option('--root <file>', "the root's private key (PEM)").makeOptionMandatory();
  root
    .command('create')
    .description('make a root key pair; prints the public key to build into katalonc')
    .requiredOption('--out <file>', 'where to write the private key (0600; it must not exist)')
    .returns(async (o: { out: string }) => {
      const { pem, signingKey } = generateSigningKey();
      await writeNewFile(o.out, pem, 0o600);
      return {
        data: { keyId: signingKey.keyId, publicKey: signingKey.publicKey.text, privateKey: o.out },
        lines: [signingKey.publicKey.text],
      };
    });
  root
    .command('certify')
    .description("certify a server's signing key: what it may issue, and until when")
    .addOption(rootKeyOption())
    .requiredOption('--server-key <key>', 'the output of "katalon-license-server keys public"')
    .option('--orgs <ids>', 'organisation IDs it may issue for, comma-separated, or *', '*')
    .option('--products <list>', 'products it may issue, comma-separated', PRODUCTS.join(','))
    .addOption(
      new Option('--max-licenses <n>', 'at most this many offline licenses')
        .argParser(positive('--max-licenses', 0))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--until <date>', 'the certificate ends, YYYY-MM-DD')
        .argParser(date)
        .makeOptionMandatory(),
    )
    .requiredOption('--out <file>', 'the .cert file to write (it must not exist)')
    .returns(async (o: CertifyOptions) => {
      const rootKey = readRootKey(o.root);
      const fields = certificateFields(o, randomUUID(), Date.now());
      await writeNewFile(o.out, armorCertificate(certify(rootKey, fields)), 0o644);
      return shown({ file: o.out, rootKeyId: rootKey.keyId, ...fields });
    });
  root
    .command('revoke')
    .description('revoke server keys (compromised): a signed list to put beside the .lic files')
    .addOption(rootKeyOption())
    .requiredOption('--key-id <ids>', 'server key IDs, comma-separated')
    .requiredOption('--out <file>', 'the .krl file to write (it must not exist)')
    .returns(async (o: { root: string; keyId: string; out: string }) => {
      const rootKey = readRootKey(o.root);
      const revokedKeyIds = o.keyId
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const text = revoke(rootKey, {
        id: randomUUID(),
        issuedAt: new Date().toISOString(),
        revokedKeyIds,
      });
      await writeNewFile(o.out, text, 0o644);
      return shown({ file: o.out, revokedKeyIds });
    });
};
