// The one place that picks how "this license / session is held by a running katalonc" is kept:
// a lock that dies with its process, so a killed run never keeps a license.
export interface SlotLock {
  release(): Promise<void>;
}

export const tryLock = async (name: string): Promise<SlotLock | null> => {
  const impl =
    process.platform === 'linux' || process.platform === 'win32'
      ? await import('./socket.ts')
      : await import('./file.ts');
  return impl.tryLock(name);
};
