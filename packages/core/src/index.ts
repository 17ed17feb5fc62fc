/**
 * `@ringkit/core`: lock-free LMAX-Disruptor-style rings over `SharedArrayBuffer` + `Atomics`.
 * No dependencies, nothing from `node:*`: runs in Node, Deno, Bun and browser workers.
 */
export * from './errors.js';
export * from './sequence.js';
export * from './schema.js';
export { describeLayout, BLOCK_LENGTH, MAX_CONSUMERS, KIND, type RegionDescriptor } from './layout.js';
