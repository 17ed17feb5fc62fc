/**
 * The counters of one bridge (sink or source), updated in place by the bridge's own loop and
 * read by anyone on the same thread (a query: stale as soon as it returns). Counts are entries
 * (typed rings) or records (byte rings), except `lost` on a lossy byte ring (bytes, as the ring
 * counts them) and `bytes`.
 */
export interface BridgeStats {
  /** `'sink'` (ring → NATS) or `'source'` (NATS → ring). */
  readonly role: 'sink' | 'source';
  /** `'jetstream'` or `'core'`. */
  readonly transport: 'jetstream' | 'core';
  /** Sink: entries published (first sends). Source: entries written into the ring. */
  published: number;
  /** Sink: entries JetStream acknowledged (the ring released them). Source: entries acknowledged to JetStream (the ring's consumers released them). */
  acked: number;
  /** NATS messages sent (sink) or received (source). */
  messages: number;
  /** Payload bytes sent or received. */
  bytes: number;
  /** Sink: entries sent again after a failed or unanswered publish. Source: entries in messages the server delivered again. */
  redelivered: number;
  /** Sink: entries the server reported as duplicates (`Nats-Msg-Id`). Source: entries not written because the ring already had them. */
  dupDropped: number;
  /** Source: entries (and end markers) of ring identities it was told not to take (`ringIds`), acknowledged and dropped — an earlier run's, say. */
  ignored: number;
  /** Entries lost (core NATS: gaps in the sequence and drops when the ring was full; a lossy input ring: entries lapped before the sink read them). */
  lost: number;
  /** Sink: entries published and not yet acknowledged. Source: entries written into the ring and not yet acknowledged. */
  inFlight: number;
  /** Source (JetStream): messages held back (not acknowledged, delivered again a moment later) because entries before them had not arrived yet. */
  held: number;
  /** Publishes or fetches retried after an error (server restart, timeout). */
  retries: number;
  /** Sequence (the bridge's 53-bit count) of the last entry acknowledged; -1 before the first. */
  lastSequence: number;
}

/** A zeroed {@link BridgeStats}. */
export function newStats(role: 'sink' | 'source', transport: 'jetstream' | 'core'): BridgeStats {
  return { role, transport, published: 0, acked: 0, messages: 0, bytes: 0, redelivered: 0, dupDropped: 0, ignored: 0, lost: 0, inFlight: 0, held: 0, retries: 0, lastSequence: -1 };
}
