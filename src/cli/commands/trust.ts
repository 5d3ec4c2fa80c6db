// katalonc trust add / list: keys of self-hosted license servers.
import { addTrustedKey as add, trustedKeys } from '../../client/trusted-keys.ts';
import type { Result } from '../../command-line/runner.ts';

export const addTrustedKey = async (text: string): Promise<Result> => {
  const key = await add(text);
  return {
    data: { keyId: key.keyId, key: key.text },
    lines: [`Trusted key ${key.keyId}: licenses it signed are now accepted.`],
  };
};

export const listTrustedKeys = (): Promise<Result> => {
  const keys = [...trustedKeys().values()].map((k) => ({
    keyId: k.keyId,
    key: k.text,
    origin: k.origin,
  }));
  return Promise.resolve({
    data: { keys },
    lines:
      keys.length === 0
        ? ['No trusted keys: add your server\'s with "katalonc trust add <key>".']
        : keys.map((k) => `${k.keyId}  ${k.key}  (${k.origin})`),
  });
};
