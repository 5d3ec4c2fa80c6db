// The words of the licensing domain, each declared once as a runtime list so that the CLI's option
// choices, the HTTP schemas and the license reader are all built from the same values.

/** The two products of the seeds: Katalon Runtime Engine (katalonc's default) and Studio Enterprise. */
export const PRODUCTS = ['KRE', 'KSE'] as const;
export type Product = (typeof PRODUCTS)[number];

export const POOL_MODELS = ['node-locked', 'floating'] as const;
export type PoolModel = (typeof POOL_MODELS)[number];

export const BILLING_CYCLES = ['yearly', 'monthly'] as const;
export type Billing = (typeof BILLING_CYCLES)[number];

/** What an issued license file is: a real offline license, or a testing one that runs nothing. */
export const LICENSE_KINDS = ['offline', 'testing'] as const;
export type LicenseKind = (typeof LICENSE_KINDS)[number];

/** A member's role in an organisation, as the seeds name them. */
export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** A role as pages and messages name it. */
export const ROLE_NAMES: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
};

/** The choice `value` names, in any letter case (people type "Floating"), or undefined. */
export const choiceOf = <T extends string>(list: readonly T[], value: string): T | undefined =>
  list.find((c) => c.toLowerCase() === value.toLowerCase());

export const isOneOf = <T extends string>(list: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (list as readonly string[]).includes(value);
