/** Errors cross threads as plain objects and come back as the right class, with their cause. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { InvalidArgumentError, LappedError, registerErrorClass, reviveError, RingkitError, serializeError, TimeoutError, type SerializedError } from '../../src/index.js';

function throughPort(e: unknown): Error {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(serializeError(e));
  const got = receiveMessageOnPort(port2)!.message as SerializedError;
  port1.close();
  return reviveError(got);
}

test('core errors survive structured cloning with class, code, fields and cause', () => {
  const e = throughPort(new LappedError(7, 'lapped'));
  assert.ok(e instanceof LappedError);
  assert.equal((e as LappedError).lost, 7);
  const t = throughPort(new TimeoutError('claim timed out'));
  assert.ok(t instanceof TimeoutError);
  assert.equal((t as TimeoutError).code, 'ERR_TIMEOUT');
});

test("another package's RingkitError subclass keeps its code and name; plain errors stay plain", () => {
  class StageFailedError extends RingkitError {
    constructor(message: string, options?: { cause?: unknown }) { super('ERR_STAGE_FAILED', message, options); }
  }
  StageFailedError.prototype.name = 'StageFailedError';
  const e = throughPort(new StageFailedError('stage "parse" failed', { cause: new TypeError('bad byte') }));
  assert.ok(e instanceof RingkitError);
  assert.equal((e as RingkitError).code, 'ERR_STAGE_FAILED');
  assert.equal(e.name, 'StageFailedError');
  assert.equal((e.cause as Error).name, 'TypeError');
  assert.equal((e.cause as Error).message, 'bad byte');
  const plain = throughPort(new RangeError('x'));
  assert.ok(!(plain instanceof RingkitError));
  assert.equal(plain.name, 'RangeError');
});

test('a registered class is revived as itself; core codes and malformed codes cannot be registered', () => {
  class DataTooLargeError extends RingkitError {
    readonly limit: number;
    constructor(limit: number, message: string) { super('ERR_TEST_DATA_TOO_LARGE', message); this.limit = limit; }
  }
  DataTooLargeError.prototype.name = 'DataTooLargeError';
  registerErrorClass('ERR_TEST_DATA_TOO_LARGE', (d) => new DataTooLargeError(64, d.message));
  const e = throughPort(new DataTooLargeError(64, 'record of 100 bytes; at most 64'));
  assert.ok(e instanceof DataTooLargeError);
  assert.equal(e.message, 'record of 100 bytes; at most 64');
  assert.throws(() => registerErrorClass('ERR_TIMEOUT', (d) => new Error(d.message)), InvalidArgumentError);
  assert.throws(() => registerErrorClass('oops' as never, (d) => new Error(d.message)), InvalidArgumentError);
});

test("a subclass's own plain data fields travel with it; functions and objects do not", () => {
  class StopTimeout extends RingkitError {
    readonly stages: string[];
    readonly waitedMs: number;
    readonly hook: () => void;
    constructor(stages: string[], waitedMs: number) { super('ERR_TEST_STOP_TIMEOUT', `stages ${stages.join(', ')} did not finish`); this.stages = stages; this.waitedMs = waitedMs; this.hook = () => undefined; }
  }
  const data = serializeError(new StopTimeout(['parse', 'reply'], 5000));
  assert.deepEqual(data.stages, ['parse', 'reply']);
  assert.equal(data.waitedMs, 5000);
  assert.equal(data.hook, undefined);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(data); // must be structured-clonable
  assert.deepEqual((receiveMessageOnPort(port2)!.message as SerializedError).stages, ['parse', 'reply']);
  port1.close();
});
