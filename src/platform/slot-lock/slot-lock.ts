// The one shape every way of holding a license or a session returns (index.ts picks the way).
// In a file of its own so that the implementations need not import the module that chooses them.

export interface SlotLock {
  release(): Promise<void>;
  /** Descriptors the command inherits (as fd 3, 4, …) to share the lock, where it can be shared. */
  fds?: number[];
}
