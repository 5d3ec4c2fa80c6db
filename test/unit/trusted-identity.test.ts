// The pure judgements behind issue 21's client fixes: when a machine ID read in this process can be
// trusted for an offline license, the kernel's time from /proc, and the seat a license holds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  distrustReasons,
  PROC_SUPER_MAGIC,
  type NamespaceFacts,
} from '../../src/core/machine-id/namespace.ts';
import { kernelTime } from '../../src/core/license/clock.ts';

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '31 22 0:5 /etc/other /etc/machine-id rw - tmpfs none rw',
  '32 22 0:6 / /srv/with\\040space rw - tmpfs none rw',
].join('\n');

const initial: NamespaceFacts = {
  userNamespace: 'user:[4026531837]',
  uidMap: '         0          0 4294967295\n',
  procType: PROC_SUPER_MAGIC,
  mountinfo: MOUNTINFO,
  identitySource: '/etc/machine-id',
};

describe('distrustReasons', () => {
  it("trusts the machine's own namespace, even with a mount over the identity (root made it)", () => {
    expect(distrustReasons(initial)).toEqual([]);
    expect(distrustReasons({ ...initial, root: 'real' })).toEqual([]);
  });

  it('names each layer that fails, and the identity mount only then', () => {
    expect(distrustReasons({ ...initial, userNamespace: 'user:[4026532175]' })).toEqual([
      "it runs in a user namespace of its own (user:[4026532175], not the machine's)",
      "/etc/machine-id is a mount there, which can hold any machine's ID",
    ]);
    expect(distrustReasons({ ...initial, uidMap: '0 65534 1\n', identitySource: null })).toEqual([
      'its user IDs are mapped (uid_map "0 65534 1")',
    ]);
    expect(distrustReasons({ ...initial, procType: 0x01021994, identitySource: null })).toEqual([
      "/proc is not the kernel's (a file system of type 0x1021994)",
    ]);
    expect(distrustReasons({ ...initial, root: 'fake', identitySource: null })).toEqual([
      "it is uid 0 only inside a user namespace (the kernel refuses it root's powers)",
    ]);
    expect(
      distrustReasons({
        ...initial,
        userNamespace: null,
        uidMap: null,
        procType: null,
        identitySource: '/srv/with space',
      }),
    ).toEqual([
      'its user namespace cannot be read (/proc/self/ns/user)',
      'its user IDs cannot be read (/proc/self/uid_map)',
      '/proc cannot be read',
      "/srv/with space is a mount there, which can hold any machine's ID",
    ]);
  });

  it('refuses every uid_map but the identity map', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 4294967295 }), (a, b, n) => {
        const identity = a === 0 && b === 0 && n === 4294967295;
        const reasons = distrustReasons({ ...initial, uidMap: `${a} ${b} ${n}\n` });
        expect(reasons.length === 0).toBe(identity);
      }),
    );
  });
});

describe('kernelTime', () => {
  it('is the boot time plus the uptime, in ms; null when either is missing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4e9 }),
        fc.integer({ min: 0, max: 1e9 }),
        (boot, centis) => {
          const uptime = `${Math.floor(centis / 100)}.${String(centis % 100).padStart(2, '0')} 123.45\n`;
          expect(kernelTime(`cpu 1 2 3\nbtime ${boot}\nprocesses 9\n`, uptime)).toBe(
            boot * 1000 + centis * 10,
          );
        },
      ),
    );
    expect(kernelTime('cpu 1 2 3\n', '12.5 3.0\n')).toBeNull();
    expect(kernelTime('btime 1700000000\n', '')).toBeNull();
  });
});
