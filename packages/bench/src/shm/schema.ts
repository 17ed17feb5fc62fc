/** The slot of the cross-process benchmark rings: one f64 (the entry's number). */
export const SCHEMA = { v: 'f64' } as const;

/** Slots of the raw baseline ring (roles.ts `rawProduce` / `rawConsume`), as many as the ringkit cases' ring. */
export const RAW_CAPACITY = 1 << 16;
