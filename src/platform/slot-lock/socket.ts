// Linux: a listening abstract-namespace socket is the lock. It has a name and no file: nothing to
// delete, move or redirect. Binding is atomic (one winner), and the kernel releases the name when
// the last holder of the socket is gone, even by SIGKILL. The listening socket is handed to the
// command too (SlotLock.fds), so the name stays taken while any process of the run lives.
import { createServer } from 'node:net';
import type { SlotLock } from './slot-lock.ts';

const socketName = (name: string): string => `\0katalonc-${process.getuid!()}-${name}`;

/** A socket leaves no file behind: `once` changes nothing here. */
export const tryLock = (name: string, _once = false): Promise<SlotLock | null> =>
  new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(null) : reject(error),
    );
    server.listen(socketName(name), () => {
      server.unref();
      // Node.js has no public way to hand a listening socket to a child (a net.Server in `stdio`
      // is not a stream and throws); its descriptor can be.
      const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
      resolve({
        ...(fd >= 0 ? { fds: [fd] } : {}),
        release: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
