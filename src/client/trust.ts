// What this katalonc trusts: the root keys built into it at build time, and nothing else (no
// environment variable, no command adds one: a licensee must not be able to trust a key of their
// own). Server keys are trusted through the issuer certificate each .lic carries. Revocation lists
// signed by a root, found in the license folder, are remembered in the client state, beside the
// licenses and under /var/tmp (state.ts), so deleting the file, or a fresh KATALONC_HOME or HOME,
// does not undo a revocation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRevocationList } from '../core/license/certificate.ts';
import { parsePublicKey, type PublicKeyInfo } from '../core/license/keys.ts';
import { readRevoked, writeRevoked } from './state.ts';

declare const __BUILTIN_ROOT_KEYS__: string[] | undefined;
declare const __BUILD_KIND__: 'release' | 'development' | undefined;

/** A release build trusts the licensor's roots; a development build its checkout's own root. */
export const buildKind = (): 'release' | 'development' =>
  typeof __BUILD_KIND__ === 'undefined' ? 'development' : __BUILD_KIND__;

export const DEVELOPMENT_NOTICE =
  "development build: licenses are valid only if certified by this checkout's own root key, not the licensor's";

let cached: Map<string, PublicKeyInfo> | undefined;
export const rootKeys = (): Map<string, PublicKeyInfo> => {
  if (cached) return cached;
  cached = new Map();
  for (const text of typeof __BUILTIN_ROOT_KEYS__ === 'undefined' ? [] : __BUILTIN_ROOT_KEYS__) {
    const key = parsePublicKey(text);
    if (key) cached.set(key.keyId, key);
  }
  return cached;
};

/** Revoked server keys: those remembered anywhere, plus any in a valid *.krl file of the folder. */
export const revokedKeyIds = async (folder: string): Promise<Set<string>> => {
  const listed: string[] = [];
  let seenHere = false;
  let names: string[] = [];
  try {
    names = readdirSync(folder).filter((n) => n.toLowerCase().endsWith('.krl'));
  } catch {
    // no folder: nothing new
  }
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(folder, name), 'latin1');
    } catch {
      continue;
    }
    const list = readRevocationList(text, rootKeys());
    if (list) listed.push(...list.revokedKeyIds);
    seenHere ||= list !== null;
  }
  const remembered = readRevoked(folder, seenHere);
  const known = new Set([...remembered.flat(), ...listed]);
  // A place that lacks some (new, deleted, or a fresh KATALONC_HOME) is written again.
  if (remembered.some((ids) => new Set(ids).size < known.size))
    await writeRevoked(folder, [...known], seenHere).catch((e: Error) =>
      process.stderr.write(`warning: cannot record the revocation list: ${e.message}\n`),
    );
  return known;
};
