// Reads the facts core/machine-id/namespace.ts judges: a few small reads of /proc (cheap enough
// for --print-machine-id), and for uid 0, on the offline path only, a capability test the kernel
// answers against the machine's initial user namespace. Linux only: other OSes have no reasons.
import { readFileSync, readlinkSync, statfsSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { distrustReasons, type NamespaceFacts } from '../../core/machine-id/namespace.ts';
import type { MachineIdReport } from '../../core/machine-id/derive.ts';

const attempt = <T>(read: () => T): T | null => {
  try {
    return read();
  } catch {
    return null;
  }
};

const CAP_SYS_NICE = 23n;

/** Whether the effective capabilities (/proc/self/status) include CAP_SYS_NICE. */
const hasSysNice = (): boolean => {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(
    attempt(() => readFileSync('/proc/self/status', 'utf8')) ?? '',
  )?.[1];
  return hex === undefined || ((BigInt(`0x${hex}`) >> CAP_SYS_NICE) & 1n) === 1n;
};

/**
 * uid 0: is it the machine's root? Raising one's own priority needs CAP_SYS_NICE in the initial user
 * namespace, which root of a user namespace never has, whatever it mounts. The priority is put back.
 * Docker drops CAP_SYS_NICE from its root: without it, signalling pid 1 (ours, or CAP_KILL over it,
 * again checked in the namespace of pid 1) tells instead.
 */
const rootKind = (): 'real' | 'fake' => {
  const nice = getPriority();
  try {
    // At the floor (-20) a step down is no test: step up first (always allowed).
    if (nice === -20) setPriority(-19);
    setPriority(Math.max(nice - 1, -20));
    return 'real';
  } catch {
    if (hasSysNice()) return 'fake';
    try {
      process.kill(1, 0);
      return 'real';
    } catch {
      return 'fake';
    }
  } finally {
    attempt(() => setPriority(nice));
  }
};

/** Why offline licenses cannot trust this machine's ID here; [] when they can. */
export const identityDistrust = (
  report: Pick<MachineIdReport, 'sources'>,
  opts: { rootCheck: boolean },
): string[] => {
  if (process.platform !== 'linux') return [];
  const facts: NamespaceFacts = {
    userNamespace: attempt(() => readlinkSync('/proc/self/ns/user')),
    uidMap: attempt(() => readFileSync('/proc/self/uid_map', 'utf8')),
    procType: attempt(() => statfsSync('/proc').type),
    mountinfo: attempt(() => readFileSync('/proc/self/mountinfo', 'utf8')),
    identitySource: report.sources.find((s) => s.used && s.name.startsWith('/'))?.name ?? null,
    ...(opts.rootCheck && process.getuid?.() === 0 ? { root: rootKind() } : {}),
  };
  return distrustReasons(facts);
};
