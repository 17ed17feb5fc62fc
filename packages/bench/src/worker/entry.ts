/**
 * The only file that runs inside a benchmark worker: runs the role named in `workerData` and
 * posts one `WorkerReport` back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Role, Task, WorkerReport } from '../protocol.js';
import { copyLoop, pmReceiver, pmSender, rawConsumer, rawProducer, ringbufConsumer, ringbufProducer } from './baseline-roles.js';
import { rawBlockingConsumer, rawBlockingProducer } from './raw-blocking-roles.js';
import { costRaw, costRawBlocking, costRing } from './cost-roles.js';
import { fizzGenerator, fizzLogger, fizzWorker } from './fizzbuzz-roles.js';
import { byteRingConsumer, byteRingProducer } from './byte-ring-roles.js';
import { onehopConsumer, onehopProducer, pingpongEcho, pingpongInitiator } from './latency-roles.js';
import { bytesConsumer, bytesProducer, ringConsumer, ringProducer } from './ring-roles.js';

const ROLES: Record<Role, (task: Task) => WorkerReport | Promise<WorkerReport>> = {
  'ring-producer': ringProducer,
  'ring-consumer': ringConsumer,
  'raw-producer': rawProducer,
  'raw-consumer': rawConsumer,
  'rawblock-producer': rawBlockingProducer,
  'rawblock-consumer': rawBlockingConsumer,
  'fizz-generator': fizzGenerator,
  'cost-ring': costRing,
  'cost-raw': costRaw,
  'cost-rawblock': costRawBlocking,
  'fizz-worker': fizzWorker,
  'fizz-logger': fizzLogger,
  'pm-sender': pmSender,
  'pm-receiver': pmReceiver,
  'ringbufjs-producer': ringbufProducer,
  'ringbufjs-consumer': ringbufConsumer,
  copy: copyLoop,
  'pingpong-initiator': pingpongInitiator,
  'pingpong-echo': pingpongEcho,
  'onehop-producer': onehopProducer,
  'onehop-consumer': onehopConsumer,
  'bytes-producer': bytesProducer,
  'bytes-consumer': bytesConsumer,
  'bytering-producer': byteRingProducer,
  'bytering-consumer': byteRingConsumer,
};

async function run(task: Task): Promise<WorkerReport> {
  try {
    return await ROLES[task.role](task);
  } catch (e) {
    return { count: 0, checksum: 0, marks: [], error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

void run(workerData as Task).then((report) => parentPort!.postMessage(report));
