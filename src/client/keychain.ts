// The saved API key: in the OS keychain (macOS Keychain, Windows Credential Manager, Secret Service
// on Linux) through @napi-rs/keyring, each call with a timeout so a locked or absent keychain never
// hangs katalonc. Where no keychain works (headless Linux), a 0600 file, and the user is told so.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { clientDir } from '../platform/paths.ts';

const SERVICE = 'katalonc';
const ACCOUNT = 'api-key';
const KEYCHAIN_TIMEOUT_MS = Number(process.env.KATALONC_KEYCHAIN_TIMEOUT_MS ?? 5000);

const fallbackFile = (): string => join(clientDir(), 'api-key');

type Keyring = typeof import('@napi-rs/keyring');

const keyring = async (): Promise<Keyring | null> => {
  if (process.env.KATALONC_NO_KEYCHAIN) return null;
  try {
    // Native add-on: absent from the standalone executable and on unsupported platforms.
    return await import('@napi-rs/keyring');
  } catch {
    return null;
  }
};

const withTimeout = async <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
  const signal = AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS);
  return Promise.race([
    call(signal),
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no answer within ${KEYCHAIN_TIMEOUT_MS} ms (locked?)`)))),
  ]);
};

export interface SaveResult {
  where: 'keychain' | 'file';
  /** Why the keychain was not used, when it was not. */
  warning?: string;
}

export const saveApiKey = async (apiKey: string): Promise<SaveResult> => {
  const k = await keyring();
  let why = 'the keychain add-on is not available';
  if (k) {
    try {
      await withTimeout((signal) => new k.AsyncEntry(SERVICE, ACCOUNT).setPassword(apiKey, signal));
      rmSync(fallbackFile(), { force: true });
      return { where: 'keychain' };
    } catch (error) {
      why = `the OS keychain failed: ${(error as Error).message}`;
    }
  }
  await writeFileAtomic(fallbackFile(), `${apiKey}\n`, { mode: 0o600 });
  return { where: 'file', warning: `no usable OS keychain (${why}); the API key is stored in ${fallbackFile()}, readable only by you` };
};

export const loadApiKey = async (): Promise<string | null> => {
  const k = await keyring();
  if (k) {
    try {
      const key = await withTimeout((signal) => new k.AsyncEntry(SERVICE, ACCOUNT).getPassword(signal));
      if (key) return key;
    } catch {
      // fall through to the file
    }
  }
  try {
    return readFileSync(fallbackFile(), 'utf8').trim() || null;
  } catch {
    return null;
  }
};

export const forgetApiKey = async (): Promise<void> => {
  const k = await keyring();
  if (k) await withTimeout((signal) => new k.AsyncEntry(SERVICE, ACCOUNT).deletePassword(signal)).catch(() => false);
  rmSync(fallbackFile(), { force: true });
};
