// What makes two license files one seat: copies, renames and hard links of one license must count
// once, wherever they lie. The one place that derives it, for the folder scan (copies count once)
// and for the run lock (its name), so that a change of what identifies a license changes both.
import type { LicensePayload } from './format.ts';

/** The seat a license holds: today its license id (copies of one file share it). */
export const seatKeyOf = (license: Pick<LicensePayload, 'id'>): string => license.id;
