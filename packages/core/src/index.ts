/**
 * `@ringkit/core`: lock-free LMAX-Disruptor-style rings over `SharedArrayBuffer` + `Atomics`.
 * No dependencies, nothing from `node:*`: runs in Node, Deno, Bun and browser workers.
 */
export * from './errors.js';
export * from './sequence.js';
export { copyBytes, sliceBytes } from './copy.js';
export * from './schema.js';
export { describeLayout, BLOCK_LENGTH, MAX_CONSUMERS, MAX_PRODUCERS, KIND, type RegionDescriptor } from './layout.js';
export {
  resolveWaitStrategy, DEFAULT_SPIN_TRIES, MAX_SLEEP_MS,
  type WaitStrategy, type WaitStrategyKind, type WaitStrategyOption, type WaitOptions,
} from './wait-strategy.js';
export { atomicsWaiter, keepAliveWhile, type Waiter } from './waiter.js';
export { Ring, type RingOptions, type AttachOptions, type ConsumerOptions, type WorkGroupOptions, type WorkGroup } from './typed-ring.js';
export { DEFAULT_MAX_PRODUCERS, DEFAULT_START_TIMEOUT_MS, type ParticipationOptions, type RecoverOptions } from './ring-mode.js';
export type { RecoveryReport } from './control.js';
export type { PlacementOptions } from './region.js';
export { Producer } from './producer.js';
export { SingleProducerSequencer } from './single-producer-sequencer.js';
export { MultiProducerSequencer } from './multi-producer-sequencer.js';
export { Consumer, Batch, type ColumnSet } from './consumer.js';
export { POLL_EMPTY, POLL_CLOSED, type PollOptions } from './poll-loop.js';
export { SequenceBarrier } from './barrier.js';
export { RingControl } from './control.js';
export { ByteRing, type ByteRingOptions, type ByteReaderOptions, type ByteRingAttachOptions } from './byte-ring.js';
export { RECORD_HEADER_LENGTH, RECORD_ALIGNMENT, PADDING_FLAG, MIN_BYTE_CAPACITY } from './byte-record.js';
export { ByteProducer } from './byte-producer.js';
export { ByteReader, ByteBatch } from './byte-reader.js';
export { type Codec, jsonCodec } from './codec.js';
export {
  RingBuffer, type RingBufferOptions, type RingBufferReader, type RingBufferDescriptor, type RingBufferAttachOptions,
  AlreadyClosedError, WaitingForReaderError, DataTooLargeError, WaitingForWriterError, WriterFinishedError,
  MustCreateReadersBeforeWritingError,
} from './ring-buffer.js';
export {
  SlotPool, StaleSlotError, SLOT_STATE, MAX_SLOT_READERS, MAX_SLOT_POOL_HOLDERS,
  type SlotPoolOptions, type WritableSlot, type SlotHandle, type SlotPoolStats, type WhenFull,
  type SlotPoolParticipation, type SlotPoolRecoveryReport,
} from './slot-pool.js';
export { SLOT_POOL_STEP, setSlotPoolStepHook, type SlotPoolStepHook, type SlotPoolOperation } from './slot-pool-steps.js';
