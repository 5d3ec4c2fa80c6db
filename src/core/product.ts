// The two products of the seeds: Katalon Runtime Engine (katalonc's default) and Studio Enterprise.
export const PRODUCTS = ['KRE', 'KSE'] as const;
export type Product = (typeof PRODUCTS)[number];
