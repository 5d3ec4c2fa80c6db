// The keys whose licenses this katalonc accepts: those built in at build time
// (KATALONC_BUILTIN_KEYS when bundling), those added with `katalonc trust add`, and
// KATALONC_TRUSTED_KEYS (comma-separated) for one run.
import { parsePublicKey, type PublicKeyInfo } from '../core/license/keys.ts';
import { fail } from '../core/errors.ts';
import { environment } from '../platform/environment.ts';
import { readConfig, updateConfig } from './state.ts';

declare const __BUILTIN_TRUSTED_KEYS__: string[] | undefined;
const builtIn = (): string[] =>
  typeof __BUILTIN_TRUSTED_KEYS__ === 'undefined' ? [] : __BUILTIN_TRUSTED_KEYS__;

export interface TrustedKey extends PublicKeyInfo {
  origin: 'built-in' | 'config' | 'environment';
}

export const trustedKeys = (): Map<string, TrustedKey> => {
  const keys = new Map<string, TrustedKey>();
  const add = (texts: string[], origin: TrustedKey['origin']) => {
    for (const text of texts) {
      const key = parsePublicKey(text);
      if (!key)
        throw fail(
          'INVALID_ARGUMENT',
          `"${text}" (${origin === 'environment' ? 'in KATALONC_TRUSTED_KEYS' : `a ${origin} trusted key`}) is not a public key of the form ed25519:<43 base64url characters>`,
        );
      if (!keys.has(key.keyId)) keys.set(key.keyId, { ...key, origin });
    }
  };
  add(builtIn(), 'built-in');
  add(readConfig().trustedKeys, 'config');
  add(environment.trustedKeys, 'environment');
  return keys;
};

export const addTrustedKey = async (text: string): Promise<TrustedKey> => {
  const key = parsePublicKey(text);
  if (!key)
    throw fail(
      'INVALID_ARGUMENT',
      `"${text}" is not a public key: pass the line "katalon-license-server keys public" prints (ed25519:…)`,
    );
  await updateConfig((config) =>
    config.trustedKeys.some((k) => parsePublicKey(k)?.keyId === key.keyId)
      ? config
      : { ...config, trustedKeys: [...config.trustedKeys, key.text] },
  );
  return { ...key, origin: 'config' };
};
