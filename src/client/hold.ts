// What a run holds while its command runs: one offline license file or one online session.
import type { KatalonError } from '../core/errors.ts';
import type { PoolModel } from '../core/vocabulary.ts';

/**
 * What is held, as the engine gets it in KATALONC_LICENSE (README "The engine hand-off"). The
 * organisation's id is a string in both, as in the license file.
 */
type HeldLicense =
  | {
      kind: 'offline';
      product: string;
      model: 'node-locked';
      orgId: string;
      file: string;
      expiresAt: string;
    }
  | {
      kind: 'online';
      product: string;
      model: PoolModel;
      orgId: string;
      sessionId: string;
      expiresAt: string;
      serverUrl: string;
    };

export interface LicenseHold {
  description: string;
  license: HeldLicense;
  /** The API key the license was activated with, if any (the engine's, for TestOps). */
  apiKey?: string;
  release(): Promise<void>;
  /** The lock's descriptors the command inherits (see platform/slot-lock), where it can share them. */
  lockFds?: number[];
  /**
   * Until when (ms since the epoch, by the watcher's clock: katalonc's may be faked) the run may go
   * on while katalonc is silent (stopped, SIGSTOP): an online session's lease at its activation
   * (at least a heartbeat interval from then) plus its pool's outage grace; undefined for an
   * offline license (held by the run itself).
   */
  silentUntil?: number;
  /** Settles only if the license is taken away during the run (session terminated, lease lost). */
  lost: Promise<KatalonError>;
}
