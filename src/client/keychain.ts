// The saved API key: in the OS keychain (macOS Keychain, Windows Credential Manager, Secret Service
// on Linux) through @napi-rs/keyring, each call with a timeout so a locked or absent keychain never
// hangs katalonc. Where no keychain works (headless Linux), a 0600 file, and the user is told so.
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { environment } from '../platform/environment.ts';
import { readKeyFile, removeKeyFile, writeKeyFile } from './state.ts';

const SERVICE = 'katalonc';
const ACCOUNT = 'api-key';
const KEYCHAIN_TIMEOUT_MS = environment.keychainTimeoutMs;

// The add-on can block its calling thread for good (seen: a D-Bus peer that accepts and never
// answers), and a blocked thread cannot be stopped. So each call runs in a short-lived child process,
// killed at the timeout. The request, with the key, goes through stdin: never on a command line.
const CHILD = `
let input = '';
process.stdin.on('data', (d) => (input += d)).on('end', () => {
  const w = JSON.parse(input);
  let result;
  try {
    const entry = new (require(w.module).Entry)(w.service, w.account);
    const value = w.op === 'get' ? entry.getPassword() : w.op === 'set' ? entry.setPassword(w.value) : entry.deletePassword();
    result = { ok: true, value: value ?? null };
  } catch (error) {
    result = { ok: false, error: String((error && error.message) || error) };
  }
  process.stdout.write(JSON.stringify(result));
});
`;

const keyringModule = (): string | null => {
  if (environment.noKeychain) return null;
  try {
    // Native add-on: absent from the standalone executable and on unsupported platforms.
    return createRequire(import.meta.url).resolve('@napi-rs/keyring');
  } catch {
    return null;
  }
};

const keychain = (op: 'get' | 'set' | 'delete', value?: string): Promise<string | null> => {
  const module = keyringModule();
  if (!module) return Promise.reject(new Error('the keychain add-on is not available'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', CHILD],
      { timeout: KEYCHAIN_TIMEOUT_MS, killSignal: 'SIGKILL', windowsHide: true },
      (error, stdout) => {
        if (error)
          return reject(
            new Error(
              error.killed ? `no answer within ${KEYCHAIN_TIMEOUT_MS} ms (locked?)` : error.message,
            ),
          );
        try {
          const r = JSON.parse(stdout) as { ok: boolean; value?: string | null; error?: string };
          if (r.ok) resolve(r.value ?? null);
          else reject(new Error(r.error));
        } catch {
          reject(new Error('the keychain helper gave no answer'));
        }
      },
    );
    child.stdin!.end(JSON.stringify({ module, op, value, service: SERVICE, account: ACCOUNT }));
  });
};

export interface SaveResult {
  where: 'keychain' | 'file';
  /** Why the keychain was not used, when it was not. */
  warning?: string;
}

export const saveApiKey = async (apiKey: string): Promise<SaveResult> => {
  let why: string;
  try {
    await keychain('set', apiKey);
    removeKeyFile();
    return { where: 'keychain' };
  } catch (error) {
    why = `the OS keychain failed: ${(error as Error).message}`;
  }
  const file = await writeKeyFile(apiKey);
  return {
    where: 'file',
    warning: `no usable OS keychain (${why}); the API key is stored in ${file}, readable only by you`,
  };
};

export const loadApiKey = async (): Promise<string | null> => {
  try {
    const key = await keychain('get');
    if (key) return key;
  } catch {
    // no keychain, or it did not answer: the file, if any
  }
  return readKeyFile();
};

export const forgetApiKey = async (): Promise<void> => {
  await keychain('delete').catch(() => null);
  removeKeyFile();
};
