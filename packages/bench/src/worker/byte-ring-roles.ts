/**
 * The variable-length byte ring (`ByteRing`, when `@ringkit/core` exports it): placeholder until
 * the adapter below knows its API.
 */
import type { Task, WorkerReport } from '../protocol.js';

/** Byte ring producer. */
export function byteRingProducer(_task: Task): WorkerReport {
  throw new Error('ByteRing adapter not implemented');
}

/** Byte ring consumer. */
export function byteRingConsumer(_task: Task): WorkerReport {
  throw new Error('ByteRing adapter not implemented');
}
