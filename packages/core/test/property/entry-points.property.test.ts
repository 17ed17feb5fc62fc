/**
 * Bad input over every public entry point of the core (fast-check, msgpack's fuzz target in
 * spirit): only RingkitError subclasses escape, a refused value is named in the message, a value
 * known to be bad is refused, nothing hangs, and the object still works afterwards (nothing
 * published is lost or exposed unwritten). Each group runs in its own worker under a hard
 * deadline (fixtures/guarded-run.ts): a hang fails the group naming the call that hung; a broken
 * contract fails it with the shrunk counterexample and fast-check's replay seed and path.
 *
 * `RINGKIT_PROPERTY_RUNS` sets the runs per group (default 150); `RINGKIT_PROPERTY_SEED` fixes the seed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeGuarded, runGuarded } from '../fixtures/guarded-run.js';
import type { PropertyRun } from '../fixtures/error-contract.js';

const runs = Number(process.env.RINGKIT_PROPERTY_RUNS ?? 150);
const seed = process.env.RINGKIT_PROPERTY_SEED === undefined ? undefined : Number(process.env.RINGKIT_PROPERTY_SEED);

const fixture = (name: string): URL => new URL(`../fixtures/${name}.js`, import.meta.url);

const GROUPS: Array<[string, string, string, Record<string, unknown>]> = [
  ['Ring producer: tryClaim, claim, claimAsync, tryPublishValue, publishValue(Async) with any count or value', 'ring-properties', 'ringCalls', { ops: 'claim' }],
  ['Ring producer: publish(hi) of anything not claimed (NaN, Infinity, fractions, out of range, wrong types)', 'ring-properties', 'ringCalls', { ops: 'publish' }],
  ['Ring consumer: tryPoll, poll, pollAsync with any max, batch.slices with any field', 'ring-properties', 'ringCalls', { ops: 'poll' }],
  ['Ring table and queries: addConsumer, addWorkGroup, attach, openConsumer, consumerSequence, groupSize, slices', 'ring-properties', 'ringCalls', { ops: 'table' }],
  ['Ring blocking calls with bad { timeout, signal } (or no object) are refused, with or without room', 'ring-properties', 'ringCalls', { ops: 'claim', badOptions: true }],
  ['lossy Ring: every batch at most the ring, tryPoll(max) above the capacity included; delivered + lost adds up; a lapped consumer always learns it', 'ring-properties', 'lossyCalls', {}],
  ['ByteRing producer, reader, batch, table and attach with any argument', 'byte-properties', 'byteRingCalls', {}],
  ['ByteRing blocking calls with bad wait options are refused', 'byte-properties', 'byteRingCalls', { badOptions: true }],
  ['RingBuffer facade: every write, read, reader and attach call with any argument', 'facade-properties', 'ringBufferCalls', {}],
  ['RingBuffer blocking calls with bad wait options are refused', 'facade-properties', 'ringBufferCalls', { badOptions: true }],
  ['SlotPool: allocate, markReady (stale handles included), acquire, view, release, readers with any argument; no held slot reused, no live length rewritten', 'facade-properties', 'slotPoolCalls', {}],
  ['SlotPool blocking calls with bad wait options are refused', 'facade-properties', 'slotPoolCalls', { badOptions: true }],
  ['factories (Ring.create, Ring.byteLength, ByteRing.create, ByteRing.byteLength, new RingBuffer, SlotPool.create): each bad option field refused and named', 'options-properties', 'factoryOptions', {}],
  ['factories given no options object, or random objects', 'options-properties', 'factoryAnything', {}],
  ['attach (Ring, ByteRing, SlotPool, RingBuffer) of descriptors that are none', 'options-properties', 'attachDescriptors', {}],
  ['attach after any header word or schema byte is corrupted in memory: refused unless the header still holds, and then it works', 'options-properties', 'corruptHeaders', {}],
  ['schema helpers: resolveSchema, encodeSchema, decodeSchema, makeColumn (a __proto__ field included)', 'export-properties', 'schemaHelpers', {}],
  ['bytes, resolveWaitStrategy, describe, describeLayout with any argument', 'export-properties', 'smallHelpers', {}],
  ['error classes, serializeError, reviveError, registerErrorClass with any argument', 'export-properties', 'errorHelpers', {}],
  ['jsonCodec encode and decode with any value or bytes', 'export-properties', 'codecHelpers', {}],
  ['copyBytes and sliceBytes with any arguments: refused copies write nothing', 'export-properties', 'copyHelpers', {}],
  ['sequence arithmetic with any numbers', 'export-properties', 'sequenceHelpers', {}],
  ['atomicsWaiter and keepAliveWhile with any arguments', 'export-properties', 'waiterHelpers', {}],
];

describe('error contract of every public entry point of @ringkit/core (issue 10)', { concurrency: 2 }, () => {
  for (const [title, module, name, args] of GROUPS) {
    it(title, async () => {
      const g = await runGuarded<PropertyRun>(fixture(module), name, { runs, seed, ...args }, 30_000);
      assert.equal(g.outcome, 'returned', describeGuarded(g).replace(/^threw \w+ after \d+ ms: /, ''));
      const r = (g as { value: PropertyRun }).value;
      assert.ok(r.runs === runs && r.calls > 0, `ran ${r.runs} runs, ${r.calls} calls`);
    });
  }
});
