// Linux: the systemd/D-Bus machine-id (readable by every user), then the DMI product UUID (root only).
import type { MachineFacts } from '../../core/machine-id/derive.ts';
import type { Probe } from './probe.ts';

const SOURCES = [
  { name: '/etc/machine-id', kind: 'machine-id' },
  { name: '/var/lib/dbus/machine-id', kind: 'machine-id' },
  { name: '/sys/class/dmi/id/product_uuid', kind: 'hardware-uuid' },
];

const detectContainer = (probe: Probe): string | null => {
  if (probe.env.KUBERNETES_SERVICE_HOST) return 'kubernetes';
  if (probe.readText('/.dockerenv') !== null) return 'docker';
  if (probe.readText('/run/.containerenv') !== null) return 'podman';
  if (probe.env.container) return probe.env.container;
  const cgroup = probe.readText('/proc/1/cgroup') ?? '';
  const match = /\b(docker|kubepods|containerd|lxc|libpod)\b/.exec(cgroup);
  return match ? match[1] : null;
};

/** /etc/machine-id bind-mounted from a tmpfs (or /etc itself on tmpfs) is regenerated at each boot. */
export const machineIdOnTmpfs = (mountinfo: string): boolean =>
  mountinfo.split('\n').some((line) => {
    const [left, right] = line.split(' - ');
    const mountPoint = left?.split(' ')[4];
    const fsType = right?.split(' ')[0];
    return fsType === 'tmpfs' && (mountPoint === '/etc/machine-id' || mountPoint === '/etc');
  });

export const collect = (probe: Probe): Promise<MachineFacts> => {
  const user = probe.user();
  return Promise.resolve({
    platform: 'linux',
    sources: SOURCES.map((s) => {
      const value = probe.readText(s.name);
      return value === null
        ? { ...s, value, note: 'absent or not readable by this user' }
        : { ...s, value: value.trim() };
    }),
    user: { name: user.name, id: `uid ${user.uid}` },
    container: detectContainer(probe),
    volatileMachineId: machineIdOnTmpfs(probe.readText('/proc/self/mountinfo') ?? ''),
  });
};
