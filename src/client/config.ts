// katalonc's settings file (conf: JSON, atomic writes, schema-checked), in the client dir.
import { mkdirSync } from 'node:fs';
import Conf from 'conf';
import { clientDir } from '../platform/paths.ts';

export interface ClientSettings {
  trustedKeys: string[];
  serverUrl?: string;
  orgId?: string;
  product?: 'KRE' | 'KSE';
}

export const openConfig = (): Conf<ClientSettings> => {
  // Created user-only before conf creates it (and ~/.katalon) with the default mode.
  mkdirSync(clientDir(), { recursive: true, mode: 0o700 });
  return new Conf<ClientSettings>({
    projectName: 'katalonc',
    cwd: clientDir(),
    configName: 'config',
    defaults: { trustedKeys: [] },
    schema: {
      trustedKeys: { type: 'array', items: { type: 'string' } },
      serverUrl: { type: 'string' },
      orgId: { type: 'string' },
      product: { type: 'string', enum: ['KRE', 'KSE'] },
    },
  });
};
