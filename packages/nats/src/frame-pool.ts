/**
 * Reused buffers for a JetStream sink's packed frames.
 *
 * Why: a frame is up to `max_payload` (1 MiB on a default server) and lives until JetStream
 * acknowledges it — long enough to outlive young-generation collections. A fresh buffer per
 * frame is a zero-filled allocation of that size, and, once promoted, external memory only a
 * full (mark-compact) collection frees; V8 starts one each time enough external memory was
 * allocated, and each marks the whole heap. A buffer goes back to the pool only once JetStream
 * acknowledged its message: by then the client has written every attempt of it to the socket
 * (its outbound queue is written in order, all at once), so nothing still reads it. A message
 * that failed for good keeps its buffer.
 *
 * Bounds: buffers are `slabBytes` long (the sink's largest frame); a frame shorter than half of
 * that gets a buffer of its own (a small frame never pins a large one). The pool keeps at most
 * `maxFree` buffers, and never more than were in flight at once, which were all frames of the
 * one batch a sink holds: the pool never holds more bytes than that batch's entries.
 */
export class FramePool {
  private readonly free: ArrayBuffer[] = [];
  private readonly slabBytes: number;
  private readonly maxFree: number;

  constructor(slabBytes: number, maxFree: number) {
    this.slabBytes = slabBytes;
    this.maxFree = maxFree;
  }

  /** A buffer of exactly `length` bytes, contents undefined: a pooled one when `length` is at least half a slab. */
  take(length: number): Uint8Array {
    if (length > this.slabBytes || length * 2 < this.slabBytes) return new Uint8Array(length);
    return new Uint8Array(this.free.pop() ?? new ArrayBuffer(this.slabBytes), 0, length);
  }

  /** Takes back a frame from {@link take} that nothing reads any more (one of its own buffers is dropped). */
  give(frame: Uint8Array): void {
    const b = frame.buffer;
    if (b instanceof ArrayBuffer && b.byteLength === this.slabBytes && frame.byteOffset === 0 && this.free.length < this.maxFree) this.free.push(b);
  }
}
