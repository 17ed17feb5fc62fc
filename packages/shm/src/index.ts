/**
 * `@ringkit/shm`: ringkit's structures (typed `Ring`, `ByteRing`, `SlotPool`, the `RingBuffer`
 * facade) in named POSIX shared-memory segments, so separate OS processes on one host use the
 * same ring by name, at in-process speed, and survive `kill -9` of any of them. Linux only.
 */
export * from './errors.js';
export { checkSegmentName, MAX_SEGMENT_NAME_BYTES } from './name.js';
export { Segment, SHM_DIR, MAX_SEGMENT_SIZE, DEFAULT_MODE, shmSpace, formatBytes, type SegmentCreateOptions, type SegmentOpenOptions } from './segment.js';
export { futexWaiter, type FutexWaiter } from './futex-waiter.js';
export { processAlive, processStartTime } from './proc.js';
export type { ProcessEntry } from './process-table.js';
export type { SharedOptions } from './attachment.js';
export { SEGMENT_KIND, MAX_PROCESSES, DEFAULT_MAX_PROCESSES, type SegmentKind } from './header.js';
export { SharedStructure } from './shared-structure.js';
export { SharedRing, type SharedRingOptions, type SharedRingOpenOptions } from './shared-ring.js';
export { SharedByteRing, type SharedByteRingOptions, type SharedByteRingOpenOptions } from './shared-byte-ring.js';
export { SharedSlotPool, type SharedSlotPoolOptions, type SharedSlotPoolOpenOptions } from './shared-slot-pool.js';
export { SharedRingBuffer, type SharedRingBufferOptions, type SharedRingBufferOpenOptions } from './shared-ring-buffer.js';
export { inspectSegment, listSegments, cleanSegments, type SegmentInfo } from './inspect.js';
