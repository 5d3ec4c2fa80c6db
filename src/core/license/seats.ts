// Seats: an issuer certificate's maxLicenses is a range of seat numbers, 1 to maxLicenses, and each
// offline license names one in its signed content (katalonc refuses a number outside the range).
// On a machine a seat runs once at a time, however many licenses hold it: a server that signs past
// its certificate (a copied data dir, deleted rows) still gets at most maxLicenses runs at once out
// of any one machine. Pure: the seat a license holds, one license per seat, the lowest free number.

/** What names a seat: the issuer certificate and the number in it. */
export interface SeatHolder {
  certificateId: string;
  seat: number;
}

/**
 * The name of the seat a license holds on a machine (its run lock), safe as a file or pipe name.
 * Certificate ids are the root's UUIDs; any other character only makes two ids share a name,
 * which merges their seats (fewer runs), never splits one.
 */
export const seatKeyOf = (license: SeatHolder): string =>
  `seat-${license.certificateId.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64)}-${license.seat}`;

/** The first license of each seat, in the given order, and each other one with the one it yields to. */
export const distinctSeats = <T extends SeatHolder>(
  licenses: readonly T[],
): { seats: T[]; shadowed: { license: T; by: T }[] } => {
  const first = new Map<string, T>();
  const seats: T[] = [];
  const shadowed: { license: T; by: T }[] = [];
  for (const license of licenses) {
    const key = seatKeyOf(license);
    const by = first.get(key);
    if (by) {
      shadowed.push({ license, by });
    } else {
      first.set(key, license);
      seats.push(license);
    }
  }
  return { seats, shadowed };
};

/** The lowest seat number from 1 to `max` that no license in `held` holds, or null when all are. */
export const lowestFreeSeat = (held: Iterable<number>, max: number): number | null => {
  const taken = new Set(held);
  for (let n = 1; n <= max; n++) if (!taken.has(n)) return n;
  return null;
};
