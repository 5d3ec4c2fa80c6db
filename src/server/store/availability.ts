// Whether the database answers, as this process last saw it: an outage begins at the first
// operation that finds it unreachable and ends at the first that succeeds again, once no other has
// failed for SETTLE_MS (connections terminated in a loop are one outage, not one per connection,
// and a query in flight from before does not end it). The server logs
// each edge once (not each request) and /metrics shows it; the service tells a run whose lease ran
// out in an outage that the server could not reach its database.

interface Outage {
  from: number;
  /** Undefined while it lasts. */
  to?: number;
  /** The driver's words for the first failure. */
  cause: string;
}

export interface Availability {
  readonly up: boolean;
  /** Outages since this process started. */
  readonly outages: number;
  /** The latest outage, over or not. */
  readonly latest: Outage | undefined;
  /** The outage under way at `at`, or one that ended less than `slackMs` before it. */
  outageAt(at: number, slackMs: number): Outage | undefined;
  /** Called at each edge: the outage that began (`to` undefined) or ended. */
  watch(listener: (outage: Outage) => void): void;
  /** A store's operation failed because the database could not be reached. */
  failed(cause: string): void;
  /** A store's operation succeeded. */
  succeeded(): void;
}

// Enough to answer for leases that ran out in the last few outages.
const KEPT = 16;
const SETTLE_MS = 1000;

export const createAvailability = (clock: () => number = Date.now): Availability => {
  const recent: Outage[] = [];
  const listeners: ((outage: Outage) => void)[] = [];
  let outages = 0;
  // Set while an outage is over but not yet told: a failure before it fires continues the outage.
  let settling: NodeJS.Timeout | undefined;
  const current = (): Outage | undefined => {
    const last = recent.at(-1);
    return last && last.to === undefined ? last : undefined;
  };
  const tell = (outage: Outage) => {
    for (const listener of listeners) listener(outage);
  };
  return {
    get up() {
      return current() === undefined;
    },
    get outages() {
      return outages;
    },
    get latest() {
      return recent.at(-1);
    },
    outageAt: (at, slackMs) =>
      recent.findLast((o) => o.from <= at && (o.to === undefined || at <= o.to + slackMs)),
    watch: (listener) => void listeners.push(listener),
    failed: (cause) => {
      if (current()) return;
      if (settling) {
        clearTimeout(settling);
        settling = undefined;
        recent.at(-1)!.to = undefined;
        return;
      }
      const outage = { from: clock(), cause };
      recent.push(outage);
      if (recent.length > KEPT) recent.shift();
      outages++;
      tell(outage);
    },
    succeeded: () => {
      const outage = current();
      if (!outage) return;
      outage.to = clock();
      settling = setTimeout(() => {
        settling = undefined;
        tell(outage);
      }, SETTLE_MS).unref();
    },
  };
};
