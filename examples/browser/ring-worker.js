// One Web Worker of the example: a producer (publishes entries 0 … entries-1, tagged with its
// number, in batches of random size) or a consumer (checks every entry it is given). Workers
// may block, so they use the blocking claim() and poll() with the default 'phased' waiting.
import { Ring, POLL_CLOSED } from '/ringkit-core/index.js';

const SCHEMA = { producer: 'u32', n: 'u32' };

function produce({ descriptor, producer: id, entries, multi }) {
  const ring = Ring.attach(descriptor, { schema: SCHEMA });
  const producer = ring.producer();
  const { producer: tag, n } = ring.columns;
  let seed = 0x9e3779b9 ^ id;
  for (let sent = 0; sent < entries;) {
    seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
    const batch = Math.min(1 + ((seed >>> 8) & 63), entries - sent);
    const hi = producer.claim(batch);             // waits while the ring is full
    for (let s = producer.lo, k = 0; k < batch; k++, s = (s + 1) | 0) {
      const i = s & ring.mask;
      tag[i] = id;
      n[i] = sent + k;
    }
    producer.publish(hi);
    sent += batch;
  }
  if (!multi) producer.close();                   // single producer: it closes; multi: the page does
  return { role: 'producer', id, sent: entries };
}

function consume({ descriptor, id, producers }) {
  const ring = Ring.attach(descriptor, { schema: SCHEMA });
  const consumer = ring.openConsumer(id);
  const { producer: tag, n } = ring.columns;
  const next = new Array(producers).fill(0);      // the entry expected next from each producer
  let count = 0;
  let problem = null;
  for (;;) {
    const got = consumer.poll();                  // waits for entries; POLL_CLOSED once drained
    if (got === POLL_CLOSED) break;
    for (let k = 0; k < got; k++) {
      const i = consumer.batch.index(k);
      const p = tag[i];
      if (p >= producers || n[i] !== next[p]) {
        problem ??= `entry ${count + k}: producer ${p} sent ${n[i]}, expected ${next[p]}`;
        if (p >= producers) continue;
      }
      next[p] = n[i] + 1;
    }
    count += got;
    consumer.release();
  }
  return { role: 'consumer', id, count, next, problem };
}

self.onmessage = (e) => {
  const task = e.data;
  self.postMessage(task.role === 'producer' ? produce(task) : consume(task));
};
