// The root keys a build of katalonc trusts, fixed at build time. KATALONC_BUILTIN_KEYS (the
// licensor's root public keys, comma-separated) makes a release build; without it the build trusts
// the checkout's own development root (dev-root.ts) and says it is a development build. Checked
// here so that a typo fails the build, not the users. `--development` (the tests' and the demo's
// builds) ignores it: a licensor's shell must not turn the checkout's own tests against it.
import { parsePublicKey } from '../src/core/license/keys.ts';
import { devRootKey } from './dev-root.ts';

export const builtinKeysDefine = (): Record<string, string> => {
  const keys = process.argv.includes('--development') ? '' : process.env.KATALONC_BUILTIN_KEYS;
  const given = (keys ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const key of given)
    if (!parsePublicKey(key))
      throw new Error(`KATALONC_BUILTIN_KEYS: "${key}" is not a public key (ed25519:…)`);
  const release = given.length > 0;
  return {
    __BUILTIN_ROOT_KEYS__: JSON.stringify(release ? given : [devRootKey().publicKey.text]),
    __BUILD_KIND__: JSON.stringify(release ? 'release' : 'development'),
  };
};
