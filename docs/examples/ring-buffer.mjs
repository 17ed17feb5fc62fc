// bslatkin/ringbuffer's API on ringkit. Run: node docs/examples/ring-buffer.mjs
import { TextDecoder, TextEncoder } from 'node:util';
import { RingBuffer, WaitingForReaderError, WaitingForWriterError, WriterFinishedError } from '@ringkit/core';

const text = (b) => new TextDecoder().decode(b);
const rb = new RingBuffer({ slotBytes: 16, slotCount: 3 });
const reader = rb.newReader();                  // readers first: every reader gets every item
rb.newWriter();
for (const word of ['one', 'two', 'three', 'four']) {
  try {
    rb.tryWrite(new TextEncoder().encode(word));
  } catch (e) {
    if (!(e instanceof WaitingForReaderError)) throw e;
    console.log(`${e.name}: ${e.message}`);    // writes never block: the caller drops or retries
  }
}
console.log('reader is', rb.lag(reader), 'items behind');
console.log('read:', text(rb.tryRead(reader)));
const slot = rb.reserveWrite(4);                // zero-copy write into the freed slot
slot.set(new TextEncoder().encode('five'));
rb.commitWrite();
rb.writerDone();                                // the last writer: readers drain, then finish
console.log('read all:', rb.tryReadAll(reader).map(text));
try {
  rb.tryRead(reader);
} catch (e) {
  console.log(e instanceof WriterFinishedError, `${e.name}: ${e.message}`, e instanceof WaitingForWriterError);
}
