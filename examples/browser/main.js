// The page: creates the ring, starts the workers (ring-worker.js), checks what each consumer saw.
// Blocking calls (claim, poll) belong in the workers: a page's main thread may not block.
import { Ring } from '/ringkit-core/index.js';

const SCHEMA = { producer: 'u32', n: 'u32' };

const params = new URLSearchParams(location.search);
const entries = Number(params.get('entries') ?? 200_000);
const producers = Number(params.get('producers') ?? 1);

/** Starts one ring-worker.js with `task`; resolves to what it posts back. */
function startWorker(task) {
  const worker = new Worker(new URL('./ring-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => { worker.terminate(); resolve(e.data); };
    worker.onerror = (e) => { worker.terminate(); reject(new Error(`${task.role} worker: ${e.message}`)); };
    worker.postMessage(task);
  });
}

async function run() {
  const t0 = performance.now();
  const ring = Ring.create({ capacity: 1 << 12, schema: SCHEMA, producer: producers > 1 ? 'multi' : 'single' });
  // Register the consumers before producing: the producers never overwrite what they have not released.
  const consumers = [ring.addConsumer(), ring.addConsumer()];
  const consuming = consumers.map((c) => startWorker({ role: 'consumer', descriptor: ring.descriptor, id: c.id, producers }));
  const producing = [];
  for (let p = 0; p < producers; p++) producing.push(startWorker({ role: 'producer', descriptor: ring.descriptor, producer: p, entries, multi: producers > 1 }));
  await Promise.all(producing);
  if (producers > 1) ring.close(); // multi producer: the owner closes once every producer is done
  const seen = await Promise.all(consuming);
  const seconds = (performance.now() - t0) / 1000;
  const ok = seen.every((c) => c.problem === null && c.count === entries * producers && c.next.every((n) => n === entries));
  return { ok, entries, producers, consumers: seen, seconds: Number(seconds.toFixed(3)) };
}

const show = (state, text) => {
  document.body.dataset.state = state;
  document.getElementById('state').textContent = state;
  document.getElementById('result').textContent = text;
};
document.getElementById('isolated').textContent = String(self.crossOriginIsolated);
run().then(
  (r) => {
    globalThis.ringkitResult = r;
    const lines = r.consumers.map((c) => `consumer ${c.id}: ${c.count.toLocaleString('en')} entries, per producer ${c.next.join(', ')}, ${c.problem ?? 'every entry in order'}`);
    show(r.ok ? 'done' : 'failed', `${lines.join('\n')}\n${(r.entries * r.producers).toLocaleString('en')} entries to 2 consumers in ${r.seconds} s`);
  },
  (e) => {
    globalThis.ringkitResult = { ok: false, error: { name: e.name, message: e.message } };
    show('failed', `${e.name}: ${e.message}`);
  },
);
