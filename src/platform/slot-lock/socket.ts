// Linux and Windows: a listening socket is the lock. A Linux abstract-namespace socket and a
// Windows named pipe belong to the process that listens: binding is atomic (one winner), and the
// kernel releases the name the moment the process dies, even by SIGKILL. No stale lock can remain.
import { createServer } from 'node:net';
import type { SlotLock } from './index.ts';

export const socketName = (name: string, platform: NodeJS.Platform = process.platform): string => {
  const owner = process.getuid?.() ?? process.env.USERNAME ?? 'user';
  return platform === 'win32'
    ? `\\\\?\\pipe\\katalonc-${owner}-${name}`
    : `\0katalonc-${owner}-${name}`;
};

/** A socket leaves no file behind: `once` changes nothing here. */
export const tryLock = (name: string, _once = false): Promise<SlotLock | null> =>
  new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(null) : reject(error),
    );
    server.listen(socketName(name), () => {
      server.unref();
      resolve({ release: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
