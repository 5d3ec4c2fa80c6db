// The katalonc command line the console generates for an organisation, as Katalon Studio's
// generator does: Katalon's own spelling, so that it pastes into CI unchanged, and the API key only
// as "$KATALON_API_KEY", never the key itself.
import type { PoolModel, Product } from '../vocabulary.ts';

export interface CommandRequest {
  orgId: number;
  serverUrl: string;
  product: Product;
  /** -licenseRelease: free the sessions of this machine's killed runs first (never a live run's). */
  licenseRelease: boolean;
  /** Wait up to this many minutes for a free license (-enableLicenseRetry). */
  retryMinutes?: number;
  /** -licenseModel: this pool only (runs otherwise take the node-locked pool first). */
  model?: PoolModel;
}

export const generatedCommand = (r: CommandRequest): string[] => [
  'katalonc',
  ...(r.product === 'KRE' ? [] : ['--product', r.product]),
  '-apiKey=$KATALON_API_KEY',
  `-orgID=${r.orgId}`,
  `-serverUrl=${r.serverUrl}`,
  ...(r.model ? [`-licenseModel=${r.model}`] : []),
  ...(r.licenseRelease ? ['-licenseRelease=true'] : []),
  ...(r.retryMinutes
    ? ['-enableLicenseRetry=true', `-licenseRetryMaxDuration=${r.retryMinutes}`]
    : []),
];

/** The words as a shell line: the key stays a variable for the shell to expand. */
export const shellLine = (words: readonly string[]): string =>
  words.map((w) => (w.includes('$KATALON_API_KEY') ? `"${w}"` : w)).join(' ');
