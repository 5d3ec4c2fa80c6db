// The one place that picks where -proxy.auth.option=USE_SYSTEM finds the system's proxy: on
// Windows, Internet Options (win32.ts); elsewhere the environment (HTTPS_PROXY, HTTP_PROXY,
// NO_PROXY), which the HTTP client reads itself (null here).
import type { SystemProxy } from '../../core/system-proxy.ts';
import { systemProxy as win32 } from './win32.ts';

export const systemProxy = (target: URL): SystemProxy | 'direct' | null =>
  process.platform === 'win32' ? win32(target) : null;
