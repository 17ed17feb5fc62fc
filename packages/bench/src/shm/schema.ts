/** The slot of the cross-process benchmark rings: one f64 (the entry's number). */
export const SCHEMA = { v: 'f64' } as const;
