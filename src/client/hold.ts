// What a run holds while its command runs: one offline license file or one online session.
import type { KatalonError } from '../core/errors.ts';

export interface LicenseHold {
  description: string;
  release(): Promise<void>;
  /** Settles only if the license is taken away during the run (session terminated, lease lost). */
  lost: Promise<KatalonError>;
}
