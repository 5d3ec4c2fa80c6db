// macOS: IOPlatformUUID from the I/O Kit registry. ioreg is called by its full path because
// /usr/sbin is not on PATH under cron and launchd.
import type { MachineFacts } from '../../core/machine-id/derive.ts';
import type { Probe } from './probe.ts';

const IOREG = '/usr/sbin/ioreg';

const parseIoregPlatformUuid = (output: string): string | null =>
  /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(output)?.[1] ?? null;

export const collect = async (probe: Probe): Promise<MachineFacts> => {
  const output = await probe.run(IOREG, ['-rd1', '-c', 'IOPlatformExpertDevice']);
  const value = output === null ? null : parseIoregPlatformUuid(output);
  const user = probe.user();
  return {
    platform: 'darwin',
    sources: [
      {
        name: 'IOPlatformUUID',
        kind: 'hardware-uuid',
        value,
        ...(value === null ? { note: `${IOREG} failed or printed no IOPlatformUUID` } : {}),
      },
    ],
    user: { name: user.name, id: `uid ${user.uid}` },
    container: null,
  };
};
