// Windows: the proxy of Internet Options, from the current user's registry through reg.exe (read
// only when -proxy.auth.option=USE_SYSTEM asks for it). reg.exe disabled or failing: none.
import { spawnSync } from 'node:child_process';
import {
  internetSettingsProxy,
  parseInternetSettings,
  type SystemProxy,
} from '../../core/system-proxy.ts';
import { environment } from '../environment.ts';

const KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';

export const systemProxy = (target: URL): SystemProxy | 'direct' | null => {
  const reg = `${environment.systemRoot ?? 'C:\\Windows'}\\System32\\reg.exe`;
  const query = spawnSync(reg, ['query', KEY], {
    encoding: 'utf8',
    timeout: 10_000,
    windowsHide: true,
  });
  if (query.status !== 0 || !query.stdout) return null;
  return internetSettingsProxy(parseInternetSettings(query.stdout), target);
};
