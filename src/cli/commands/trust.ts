// katalonc trust add / list: keys of self-hosted license servers.
import { addTrustedKey as add, trustedKeys } from '../../client/trusted-keys.ts';
import { print, printJson } from '../output.ts';
import type { CliOptions } from '../options.ts';

export const addTrustedKey = async (text: string, opts: CliOptions): Promise<void> => {
  const key = await add(text);
  if (opts.json) printJson({ keyId: key.keyId, key: key.text });
  else print(`Trusted key ${key.keyId}: licenses it signed are now accepted.`);
};

export const listTrustedKeys = async (opts: CliOptions): Promise<void> => {
  const keys = [...trustedKeys().values()].map((k) => ({
    keyId: k.keyId,
    key: k.text,
    origin: k.origin,
  }));
  if (opts.json) printJson({ keys });
  else if (keys.length === 0)
    print('No trusted keys: add your server\'s with "katalonc trust add <key>".');
  else for (const k of keys) print(`${k.keyId}  ${k.key}  (${k.origin})`);
};
