// Whether a node-locked identity read by this process can be trusted. In a user namespace of its
// own any user is "root" or any other uid, and with a mount namespace can put any file over
// /etc/machine-id: another user's or machine's ID. Non-root users can make mount and network
// namespaces only inside a user namespace of their own, so offline licenses are refused there.
// Each check reads something a user can fake with mounts in such a namespace (hence several); the
// root check is a capability the kernel checks against the machine's initial namespace. Pure.

/** The kernel's fixed inode number of the initial user namespace (PROC_USER_INIT_INO). */
const INITIAL_USER_NAMESPACE = 'user:[4026531837]';
/** statfs(2) type of the kernel's /proc (PROC_SUPER_MAGIC). */
export const PROC_SUPER_MAGIC = 0x9fa0;

export interface NamespaceFacts {
  /** readlink /proc/self/ns/user; null when it cannot be read. */
  userNamespace: string | null;
  /** /proc/self/uid_map; null when it cannot be read. */
  uidMap: string | null;
  /** statfs('/proc').type; null when /proc cannot be read. */
  procType: number | null;
  /** /proc/self/mountinfo, to tell whether the identity source is itself a mount. */
  mountinfo: string | null;
  /** The identity source the machine ID was derived from (e.g. /etc/machine-id), if any. */
  identitySource: string | null;
  /**
   * uid 0 only (else absent): whether the kernel granted a capability it checks against the
   * initial user namespace ('fake': root of a user namespace only).
   */
  root?: 'real' | 'fake';
}

/** The mount points of a /proc/self/mountinfo text (the fifth field; octal escapes decoded). */
const mountPoints = (mountinfo: string): Set<string> =>
  new Set(
    mountinfo
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((p): p is string => Boolean(p))
      .map((p) =>
        p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
      ),
  );

/** Why this process's identity cannot be trusted for an offline license; [] when it can. */
export const distrustReasons = (f: NamespaceFacts): string[] => {
  const reasons: string[] = [];
  if (f.userNamespace !== INITIAL_USER_NAMESPACE)
    reasons.push(
      f.userNamespace === null
        ? 'its user namespace cannot be read (/proc/self/ns/user)'
        : `it runs in a user namespace of its own (${f.userNamespace}, not the machine's)`,
    );
  const map = f.uidMap?.trim().split(/\s+/).join(' ') ?? null;
  if (map !== '0 0 4294967295')
    reasons.push(
      map === null
        ? 'its user IDs cannot be read (/proc/self/uid_map)'
        : `its user IDs are mapped (uid_map "${map}")`,
    );
  if (f.procType !== PROC_SUPER_MAGIC)
    reasons.push(
      f.procType === null
        ? '/proc cannot be read'
        : `/proc is not the kernel's (a file system of type 0x${f.procType.toString(16)})`,
    );
  if (f.root === 'fake')
    reasons.push("it is uid 0 only inside a user namespace (the kernel refuses it root's powers)");
  // In the machine's own namespace a mount over the identity was made by root, who is trusted.
  if (
    reasons.length > 0 &&
    f.identitySource &&
    mountPoints(f.mountinfo ?? '').has(f.identitySource)
  )
    reasons.push(`${f.identitySource} is a mount there, which can hold any machine's ID`);
  return reasons;
};

/** The one line that says offline licenses are refused, and what to use instead. */
export const offlineRefusal = (reasons: readonly string[]): string =>
  `offline (node-locked) licenses are refused here: ${reasons.join('; ')}; in a user namespace any user can pose as another user or machine: use online floating licenses: -apiKey and -orgID with -licenseModel=floating`;
