// katalonc clock sync [--file FILE]: lowers the clock mark to a time a certified license server
// signed, after a run once saw a wrong (future) time. Online it asks the server with a fresh nonce;
// offline it reads a time file the admin issued for this machine ("offline time"), once.
import { randomBytes } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import { CLOCK_TOLERANCE_MS } from '../../core/license/clock.ts';
import { readSignedTime, type SignedTime } from '../../core/license/time.ts';
import { createApiClient } from '../../client/http/api-client.ts';
import { checkFolder } from '../../client/offline.ts';
import { connection, serverUrlOf, type ClientOptions } from '../../client/settings.ts';
import { readMarks, writeMark } from '../../client/state.ts';
import { revokedKeyIds, rootKeys } from '../../client/trust.ts';
import { readTextOrFail } from '../../platform/errno.ts';
import { licenseDir } from '../../platform/paths.ts';
import { trustedNow } from '../../platform/clock.ts';
import { machineIdReport } from '../../platform/machine/index.ts';
import type { Result } from '../../command-line/runner.ts';
import type { SignedTimeAnswer } from '../../core/wire/client-api.ts';

const iso = (ms: number | null) => (ms === null ? 'none' : new Date(ms).toISOString());

const fetchTime = async (opts: ClientOptions): Promise<{ text: string; nonce: string }> => {
  const serverUrl = serverUrlOf(opts);
  if (!serverUrl)
    throw fail(
      'INVALID_ARGUMENT',
      'no license server to ask: pass -serverUrl=…, or a time file with --file',
    );
  const nonce = randomBytes(16).toString('hex');
  const client = createApiClient(connection(opts, serverUrl));
  try {
    return {
      text: (await client.call<SignedTimeAnswer>('GET', `v1/time?nonce=${nonce}`)).signedTime,
      nonce,
    };
  } finally {
    await client.close();
  }
};

export const syncClock = async (opts: ClientOptions, file?: string): Promise<Result> => {
  const folder = licenseDir(opts.licenseDir);
  const { text, nonce } = file
    ? {
        text: readTextOrFail(file, 'FILE_ERROR', {
          what: `the time file ${file}`,
          fix: 'check its path (your admin makes it with "katalon-license-server offline time")',
        }),
        nonce: undefined,
      }
    : await fetchTime(opts);
  const read = readSignedTime(text, rootKeys(), await revokedKeyIds(folder));
  if (!read.ok) throw fail('LICENSE_REFUSED', `the signed time was refused: ${read.reason}`);
  const signed: SignedTime = read.time;
  const { machineId } = await machineIdReport();
  if (nonce !== undefined && signed.nonce !== nonce)
    throw fail(
      'LICENSE_REFUSED',
      'the signed time does not answer this request (a replayed answer?)',
    );
  if (nonce === undefined && signed.machineId !== machineId)
    throw fail(
      'LICENSE_REFUSED',
      `the time file is for machine ${signed.machineId}, this is ${machineId}`,
    );
  const { now } = trustedNow();
  if (Math.abs(now - signed.time) > CLOCK_TOLERANCE_MS)
    throw fail(
      'INVALID_ARGUMENT',
      `this machine's clock (${iso(now)}) is more than an hour from the signed time (${iso(signed.time)}): set the clock right first`,
    );
  const before = readMarks(folder);
  if (before.usedTimes.has(signed.id))
    throw fail('LICENSE_REFUSED', 'this time file was used already');
  // Never below what the licenses themselves prove.
  const report = await checkFolder(opts);
  const issued = report.licenses.filter((l) => l.issuedAt).map((l) => Date.parse(l.issuedAt!));
  const mark = Math.max(signed.time, ...issued);
  await writeMark(folder, mark, [...before.usedTimes, signed.id]);
  return {
    data: { before: iso(before.mark), mark: iso(mark), signedTime: iso(signed.time) },
    lines: [
      `The clock mark is now ${iso(mark)} (was ${iso(before.mark)}), from a time the license server signed.`,
    ],
  };
};
