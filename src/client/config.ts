// katalonc's settings file (conf: JSON, atomic writes, schema-checked), in the client dir.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Conf from 'conf';
import { clientDir } from '../platform/paths.ts';

export interface ClientSettings {
  trustedKeys: string[];
  serverUrl?: string;
  orgId?: string;
}

/**
 * Reads the settings without loading conf: conf compiles its JSON schema with ajv (~20 ms), too
 * much for every license check. The file is conf's own plain JSON; conf does every write.
 */
export const readSettings = (): ClientSettings => {
  try {
    const raw = JSON.parse(
      readFileSync(join(clientDir(), 'config.json'), 'utf8'),
    ) as Partial<ClientSettings>;
    return {
      ...raw,
      trustedKeys: Array.isArray(raw.trustedKeys)
        ? raw.trustedKeys.filter((k) => typeof k === 'string')
        : [],
    };
  } catch {
    return { trustedKeys: [] };
  }
};

export const openConfig = async (): Promise<Conf<ClientSettings>> => {
  // Created user-only before conf creates it (and ~/.katalon) with the default mode.
  mkdirSync(clientDir(), { recursive: true, mode: 0o700 });
  const { default: Conf } = await import('conf');
  return new Conf<ClientSettings>({
    projectName: 'katalonc',
    cwd: clientDir(),
    configName: 'config',
    defaults: { trustedKeys: [] },
    schema: {
      trustedKeys: { type: 'array', items: { type: 'string' } },
      serverUrl: { type: 'string' },
      orgId: { type: 'string' },
    },
  });
};
