// KATALONC_BUILTIN_KEYS (comma-separated public keys) at build time become the keys every katalonc
// of that build trusts. Checked here so that a typo fails the build, not the users.
import { parsePublicKey } from '../src/core/license/keys.ts';

export const builtinKeysDefine = (): Record<string, string> => {
  const keys = (process.env.KATALONC_BUILTIN_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const key of keys)
    if (!parsePublicKey(key))
      throw new Error(`KATALONC_BUILTIN_KEYS: "${key}" is not a public key (ed25519:…)`);
  return { __BUILTIN_TRUSTED_KEYS__: JSON.stringify(keys) };
};
