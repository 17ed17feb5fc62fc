/**
 * The RingBuffer facade's and the slot pool's error classes have their own `ERR_<NAME>` codes and
 * come back as themselves (and as their core parent class) after crossing a real worker's port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import {
  AlreadyClosedError, DataTooLargeError, InvalidArgumentError, InvalidStateError, MustCreateReadersBeforeWritingError,
  reviveError, RingClosedError, StaleSlotError, WaitingForReaderError, WaitingForWriterError, WriterFinishedError,
  type SerializedError,
} from '../../src/index.js';

const EXPECTED = [
  { cls: AlreadyClosedError, parent: RingClosedError, code: 'ERR_ALREADY_CLOSED' },
  { cls: WaitingForWriterError, parent: InvalidStateError, code: 'ERR_WAITING_FOR_WRITER' },
  { cls: DataTooLargeError, parent: InvalidArgumentError, code: 'ERR_DATA_TOO_LARGE' },
  { cls: WaitingForReaderError, parent: InvalidStateError, code: 'ERR_WAITING_FOR_READER' },
  { cls: MustCreateReadersBeforeWritingError, parent: InvalidStateError, code: 'ERR_MUST_CREATE_READERS_BEFORE_WRITING' },
  { cls: WriterFinishedError, parent: RingClosedError, code: 'ERR_WRITER_FINISHED' },
  { cls: StaleSlotError, parent: InvalidStateError, code: 'ERR_STALE_SLOT' },
] as const;

test('each facade and slot-pool error has its own ERR_<NAME> code', () => {
  for (const { cls, code } of EXPECTED) assert.equal(new cls('m').code, code, cls.name);
  assert.equal(new Set(EXPECTED.map((e) => e.code)).size, EXPECTED.length);
});

test('facade and slot-pool errors raised in a worker are revived as themselves in this thread', { timeout: 30_000 }, async () => {
  const worker = new Worker(new URL('../fixtures/errors-worker.js', import.meta.url));
  const raised = await new Promise<SerializedError[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(raised.length, EXPECTED.length);
  raised.forEach((data, i) => {
    const { cls, parent, code } = EXPECTED[i]!;
    assert.equal(data.code, code, `serialized code of ${cls.name}: ${data.message}`);
    const e = reviveError(data);
    assert.ok(e instanceof cls, `${code} revived as ${e.constructor.name}, expected ${cls.name}`);
    assert.ok(e instanceof parent, `${cls.name} is still a ${parent.name}`);
    assert.equal(e.name, cls.name);
    assert.equal((e as InstanceType<typeof cls>).code, code);
    assert.equal(e.message, data.message);
    assert.equal(e.stack, data.stack, 'the stack of the thread that threw');
  });
  assert.equal(reviveError(raised[2]!).message, '9 bytes too big for slot');
});
