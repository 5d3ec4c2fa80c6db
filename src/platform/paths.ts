// Where katalonc keeps things: the seeds' license folder under the user's home
// (C:\Users\<user>\.katalon\license, /home/<user>/.katalon/license, /Users/<user>/.katalon/license)
// and katalonc's own state beside it. homedir() follows HOME/USERPROFILE, which tests set.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { environment } from './environment.ts';

export const katalonHome = (): string => join(homedir(), '.katalon');

export const licenseDir = (override?: string): string =>
  override ?? environment.licenseDir ?? join(katalonHome(), 'license');

/** Config (trusted keys, saved server and org) and run state (clock mark, held sessions). */
export const clientDir = (): string => environment.home ?? join(katalonHome(), 'katalonc');
