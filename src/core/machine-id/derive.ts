// Pure derivation of the machine ID from what a per-OS collector read. No I/O here.
// @noble/hashes rather than node:crypto: loading OpenSSL costs ~8 ms, a fifth of Node's own start-up.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { formatMachineId } from './format.ts';

/** One candidate identity of this OS installation / hardware, in the collector's order of preference. */
export interface SourceReading {
  /** Where it was read, for humans: "/etc/machine-id", "HKLM\\...\\MachineGuid". */
  name: string;
  /** What it identifies; part of the hash, so two ways of reading the same thing give the same ID. */
  kind: string;
  /** The raw value, or null when the source was absent or unreadable. Never printed. */
  value: string | null;
  /** Why it could not be read, for --explain. */
  note?: string;
}

export interface MachineFacts {
  platform: 'linux' | 'darwin' | 'win32';
  sources: SourceReading[];
  user: { name: string; id: string };
  /** A container runtime, when one was detected ("docker", "podman", "kubernetes", …). */
  container: string | null;
  /** The machine-id lives on a tmpfs and is new at every boot. */
  volatileMachineId?: boolean;
}

export interface MachineIdReport {
  machineId: string;
  user: string;
  sources: { name: string; used: boolean; note?: string }[];
  warnings: string[];
}

// A fixed key: the hash is keyed so that the ID cannot be matched against raw serials collected elsewhere.
const HASH_KEY = 'katalonc machine-id v1';

const PLACEHOLDERS = new Set([
  '',
  'uninitialized',
  '00000000000000000000000000000000',
  'ffffffffffffffffffffffffffffffff',
  '03000200040005000006000700080009', // a common unset SMBIOS UUID in cheap boards and VM templates
  '12345678123456781234567812345678',
]);

const normalise = (value: string): string => value.trim().toLowerCase();

/** A value that many machines share: unset firmware fields and template images. */
const isPlaceholder = (value: string): boolean =>
  PLACEHOLDERS.has(normalise(value).replaceAll('-', ''));

// The fix names katalonc's option: without it an activation here takes a node-locked seat first,
// which registers this short-lived ID in that pool's machine quota.
const FLOATING =
  'use online floating licenses here: -apiKey and -orgID with -licenseModel=floating (or KATALONC_LICENSE_MODEL=floating); node-locked licenses will not stay valid, and each new ID takes a machine of a node-locked pool';

export const deriveMachineId = (facts: MachineFacts): MachineIdReport => {
  const warnings: string[] = [];
  const usable = facts.sources.find((s) => s.value !== null && !isPlaceholder(s.value));
  const placeholder = facts.sources.find((s) => s.value !== null && isPlaceholder(s.value));
  if (placeholder)
    warnings.push(
      `${placeholder.name} holds a placeholder value shared by many machines (a cloned or template image?); it is not used`,
    );

  let material = '';
  if (usable) {
    material += `${usable.kind}\n${normalise(usable.value!)}\n`;
  } else {
    warnings.push(
      `no machine identity could be read (${facts.sources.map((s) => s.name).join(', ')}): the ID depends on the user only and is the same on every such machine; ${FLOATING}`,
    );
  }
  material += `user\n${facts.user.name}\n${facts.user.id}`;
  const digest = hmac(
    sha256,
    new TextEncoder().encode(HASH_KEY),
    new TextEncoder().encode(material),
  );

  if (facts.container)
    warnings.push(
      `running in a container (${facts.container}): its identity is usually new for every container; ${FLOATING}`,
    );
  if (facts.volatileMachineId && usable?.kind === 'machine-id')
    warnings.push(`${usable.name} is on a tmpfs and changes at every boot; ${FLOATING}`);

  return {
    machineId: formatMachineId(digest),
    user: facts.user.name,
    sources: [
      ...facts.sources.map((s) => ({
        name: s.name,
        used: s === usable,
        ...(s.note ? { note: s.note } : {}),
      })),
      { name: `user ${facts.user.name} (${facts.user.id})`, used: true },
    ],
    warnings,
  };
};
