import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ByteRing, InvalidArgumentError, POLL_CLOSED, Ring, RingkitError, bytes, encodeSchema, resolveSchema, reviveError, serializeError } from '@ringkit/core';
import {
  connectNats, FRAME_HEADER_LENGTH, FRAME_KIND, FRAME_MAGIC, FrameError, headerRoom, NatsAuthError, NatsPermissionError, NatsUnreachableError, PayloadTooLargeError, RingSink, RingSource, schemaId, StreamMissingError,
} from '../src/index.js';
import { freePort, NatsServer } from './fixtures/nats-server.js';

// One server with accounts: `app` may do everything, `reader` may not publish to ro.>, `tok` is the token user; max_payload 4 KiB.
const CONFIG = `
max_payload: 4096
authorization {
  users = [
    { user: app, password: secret }
    { user: reader, password: secret, permissions: { publish: { deny: ["ro.>"] } } }
  ]
}
`;

let server: NatsServer;
let nc: NatsConnection;
const app = (url: string) => ({ servers: url, user: 'app', pass: 'secret' });
before(async () => {
  server = await NatsServer.start({ config: CONFIG });
  nc = await connect(app(server.url));
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'RO', subjects: ['ro.>'] });
  await jsm.streams.add({ name: 'OK', subjects: ['ok.>'] });
});
after(async () => {
  await nc.close();
  await server.close();
});

describe('bad input and failures are typed errors naming what was wrong', () => {
  it('refuses bad options, naming the option and what is allowed', async () => {
    const ring = Ring.create({ capacity: 16 });
    const cases: Array<[unknown, RegExp]> = [
      [null, /^options must be an object \{ ring, connection, subject, \.\.\. \}: options=null$/],
      [{ ring: {}, connection: nc, subject: 'ok.a' }, /^options\.ring must be a Ring or a ByteRing/],
      [{ ring, connection: nc, subject: 'ok.*' }, /^options\.subject must be a NATS subject \(dot-separated tokens, no spaces, no wildcards\): subject="ok\.\*"$/],
      [{ ring, connection: nc, subject: 'ok.a', mode: 'batch' }, /^options\.mode must be 'packed' or 'entry': mode="batch"$/],
      [{ ring, connection: nc, subject: 'ok.a', maxInFlight: 0 }, /^options\.maxInFlight must be an integer in \[1, 1048576\]: maxInFlight=0$/],
      [{ ring, connection: nc, subject: 'ok.a', maxMessageBytes: 1.5 }, /^options\.maxMessageBytes must be an integer/],
      [{ ring, connection: { servers: [] }, subject: 'ok.a' }, /^options\.servers must be a server URL or a non-empty array of them/],
      [{ ring, connection: { servers: 'nats://x', user: 'u' }, subject: 'ok.a' }, /^options\.user and options\.pass go together/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(RingSink.start(options as never), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), String(message));
    }
    await assert.rejects(RingSource.start({ ring, connection: nc, subject: 'ok.a', durable: 'a.b' }), /options\.durable must name the durable consumer/);
    await assert.rejects(RingSource.start({ ring, connection: nc, subject: 'ok.a', durable: 'd', resumeAfter: { x: 1.5 } }), /options\.resumeAfter values must be integer sequences: x=1\.5/);
  });

  it('an unreachable server is a NatsUnreachableError naming it', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    await assert.rejects(connectNats({ servers: url, timeoutMs: 500 }), (e: unknown) => {
      assert.ok(e instanceof NatsUnreachableError && e instanceof RingkitError);
      assert.equal(e.code, 'ERR_NATS_UNREACHABLE');
      assert.equal(e.server, url);
      assert.match(e.message, new RegExp(`^cannot reach the NATS server at ${url}: .+; is nats-server running there \\(JetStream needs -js\\)\\?$`));
      return true;
    });
  });

  it('refused credentials are a NatsAuthError; user/password and the right account connect', async () => {
    await assert.rejects(connectNats({ servers: server.url, user: 'app', pass: 'wrong' }), (e: unknown) => e instanceof NatsAuthError && e.server === server.url && e.message === `the NATS server at ${server.url} refused the credentials (user "app"): Authorization Violation`);
    const c = await connectNats(app(server.url));
    await c.close();
  });

  it('a missing stream is a StreamMissingError naming server and subject; createStream creates it with its limits', async () => {
    const ring = Ring.create({ capacity: 16 });
    await assert.rejects(RingSink.start({ ring, connection: nc, subject: 'nowhere.a' }), (e: unknown) => {
      assert.ok(e instanceof StreamMissingError);
      assert.equal(e.subject, 'nowhere.a');
      assert.match(e.message, /^no JetStream stream captures subject "nowhere\.a" on nats:\/\/127\.0\.0\.1:\d+; create it \(nats stream add\), or pass createStream: \{ name, maxBytes\?, maxMessages\?, maxAgeMs\?, storage\? \}/);
      return true;
    });
    await assert.rejects(RingSource.start({ ring: Ring.create({ capacity: 16 }), connection: nc, subject: 'ok.a', stream: 'NOPE', durable: 'd' }), (e: unknown) => e instanceof StreamMissingError && e.missing === 'stream' && /no JetStream stream is named "NOPE"/.test(e.message));
    const sink = await RingSink.start({ ring, connection: nc, subject: 'made.a', createStream: { name: 'MADE', maxMessages: 1000, maxBytes: 1 << 20, storage: 'memory' } });
    const info = await (await jetstreamManager(nc)).streams.info('MADE');
    assert.deepEqual([info.config.subjects, info.config.max_msgs, info.config.max_bytes, info.config.storage], [['made.a'], 1000, 1 << 20, 'memory']);
    ring.producer().close();
    await sink.done;
  });

  it('publishing where the user may not is a NatsPermissionError naming the subject', async () => {
    const ring = Ring.create({ capacity: 16 });
    const sink = await RingSink.start({ ring, connection: { servers: server.url, user: 'reader', pass: 'secret' }, subject: 'ro.a', publishTimeoutMs: 1000 });
    const p = ring.producer();
    p.publishValue(1);
    await assert.rejects(sink.done, (e: unknown) => {
      assert.ok(e instanceof NatsPermissionError);
      assert.equal(e.subject, 'ro.a');
      assert.match(e.message, /^permission denied by nats:\/\/127\.0\.0\.1:\d+: this user may not publish to "ro\.a"/);
      return true;
    });
    p.close();
  });

  it("a record larger than the server's max_payload is a PayloadTooLargeError with both sizes", async () => {
    const ring = ByteRing.create({ capacity: 1 << 16 });
    const sink = await RingSink.start({ ring, connection: nc, subject: 'ok.big' });
    ring.producer().write(new Uint8Array(5000));
    await assert.rejects(sink.done, (e: unknown) => {
      assert.ok(e instanceof PayloadTooLargeError);
      assert.equal(e.maxPayload, 4096);
      assert.ok(e.bytes > 4096);
      assert.match(e.message, /^a message to "ok\.big" is larger than the max_payload of nats:\/\/127\.0\.0\.1:\d+: bytes=\d+, max_payload=4096; /);
      return true;
    });
    const typed = Ring.create({ capacity: 16, schema: { blob: bytes(5000) } });
    const entrySink = await RingSink.start({ ring: typed, connection: nc, subject: 'ok.big2', mode: 'entry' });
    typed.producer().publishValue({ blob: new Uint8Array(5000) });
    await assert.rejects(entrySink.done, PayloadTooLargeError);
  });

  it("packed frames default to the server's max_payload less headerRoom(ringId), and a stream's max_msg_size caps them too", async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SMALL', subjects: ['small.>'], max_msg_size: 2048 });
    for (const [subject, limit] of [['ok.frames', 4096], ['small.frames', 2048]] as const) {
      const near = Ring.create({ capacity: 1024, schema: { v: 'f64' } });
      const far = Ring.create({ capacity: 1024, schema: { v: 'f64' } });
      const reader = far.addConsumer();
      const gate = near.addConsumer(); // the sink's consumer, registered before producing
      const p = near.producer();
      const n = 1000; // produced before the sink starts: it takes 512 (half the ring), then 488
      for (let i = 0; i < n; i++) assert.ok(p.tryPublishValue(i));
      p.close();
      const source = await RingSource.start({ ring: far, connection: nc, subject, durable: `d${limit}`, closeAfterEnds: 1 });
      const sink = await RingSink.start({ ring: near, consumer: gate, connection: nc, subject });
      let next = 0;
      const col = far.columns.v as Float64Array;
      try {
        for (;;) {
          const k = await reader.pollAsync({ timeout: 20_000 });
          if (k === POLL_CLOSED) break;
          for (let j = 0; j < k; j++) assert.equal(col[reader.batch.index(j)], next++);
          reader.release();
        }
      } finally {
        await sink.stop();
        await source.stop();
      }
      assert.equal(next, n);
      const stats = sink.stats;
      // Each frame holds as many 8-byte entries as fit below the limit (24-byte frame header).
      const perFrame = Math.floor((limit - headerRoom(subject) - 24) / 8);
      assert.ok(perFrame < 512); // the first batch takes more than one frame
      assert.equal(stats.messages, Math.ceil(512 / perFrame) + Math.ceil(488 / perFrame));
      assert.equal(stats.acked, n);
    }
  });

  it('a message the ring cannot take (another schema, not a frame) fails the source with a FrameError', async () => {
    const js = jetstream(nc);
    await js.publish('ok.wrong', new Uint8Array(3));
    const ring = Ring.create({ capacity: 16, schema: { a: 'f64' } });
    const source = await RingSource.start({ ring, connection: nc, subject: 'ok.wrong', durable: 'w' });
    await assert.rejects(source.done, (e: unknown) => e instanceof FrameError && /an entry of this ring's schema is 8 bytes \(its fields in schema order\): length=3/.test(e.message));
    // A frame from a ring of another schema.
    const near = Ring.create({ capacity: 16, schema: { a: 'f32' } });
    const sink = await RingSink.start({ ring: near, connection: nc, subject: 'ok.schema' });
    const p = near.producer();
    p.publishValue(1);
    p.close();
    await sink.done;
    const far = Ring.create({ capacity: 16, schema: { a: 'f64' } });
    const s2 = await RingSource.start({ ring: far, connection: nc, subject: 'ok.schema', durable: 's' });
    await assert.rejects(s2.done, /the frame's schema id differs from the ring's/);
  });

  it('a corrupt packed frame (wrong version, a count its length does not hold, a first sequence that is no integer, records past its end) fails the source with a FrameError, nothing written', async () => {
    const js = jetstream(nc);
    const header = (version: number, kind: number, schema: number, count: number, first: number, body: number): Uint8Array => {
      const out = new Uint8Array(FRAME_HEADER_LENGTH + body);
      const v = new DataView(out.buffer);
      v.setUint32(0, FRAME_MAGIC, true);
      v.setUint8(4, version);
      v.setUint8(5, kind);
      v.setUint32(8, schema, true);
      v.setUint32(12, count, true);
      v.setFloat64(16, first, true);
      return out;
    };
    const typedId = schemaId(encodeSchema(resolveSchema({ a: 'f64' })));
    const bytesId = schemaId('bytes');
    const lying = header(1, FRAME_KIND.bytes, bytesId, 2, 0, 8);
    new DataView(lying.buffer).setUint32(FRAME_HEADER_LENGTH, 1000, true); // a record longer than the frame
    const cases: Array<[string, Uint8Array, 'typed' | 'bytes', RegExp]> = [
      ['version', header(9, FRAME_KIND.typed, typedId, 1, 0, 8), 'typed', /unsupported frame version \(this build reads 1\): version=9/],
      ['count', header(1, FRAME_KIND.typed, typedId, 5, 0, 8), 'typed', /a frame of 5 entries of 8 bytes is 64 bytes long: length=32/],
      ['first', header(1, FRAME_KIND.typed, typedId, 1, Number.NaN, 8), 'typed', /a frame's first sequence must be an integer below 2\^53: first=NaN/],
      ['record', lying, 'bytes', /the frame ends inside record|record 0 is longer than the byte ring's maxRecordLength/],
    ];
    for (const [name, frame, ring, message] of cases) {
      await js.publish(`ok.corrupt.${name}`, frame);
      const far = ring === 'typed' ? Ring.create({ capacity: 16, schema: { a: 'f64' } }) : ByteRing.create({ capacity: 1 << 12 });
      const before = far.cursor;
      const source = await RingSource.start({ ring: far, connection: nc, subject: `ok.corrupt.${name}`, durable: `corrupt_${name}` });
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${name}: the source took the frame (no FrameError within 10 s)`)), 10_000).unref());
      await assert.rejects(Promise.race([source.done, timeout]), (e: unknown) => e instanceof FrameError && message.test(e.message), name);
      assert.equal(far.cursor, before, `${name}: nothing written into the ring`);
    }
  });

  it('errors survive postMessage as their own class', () => {
    const e = new PayloadTooLargeError('nats://h:1', 's', 10, 5);
    const back = reviveError(serializeError(e));
    assert.ok(back instanceof PayloadTooLargeError);
    assert.equal(back.message, e.message);
  });

  it('a plain client publishes records into a byte ring through the source (interop: payload = record)', async () => {
    const js = jetstream(nc);
    for (let i = 0; i < 10; i++) await js.publish('ok.interop', new TextEncoder().encode(`hello ${i}`));
    const ring = ByteRing.create({ capacity: 4096 });
    const reader = ring.addReader();
    const source = await RingSource.start({ ring, connection: nc, subject: 'ok.interop', durable: 'i' });
    const got: string[] = [];
    while (got.length < 10) {
      const n = await reader.pollAsync();
      assert.notEqual(n, POLL_CLOSED);
      for (let k = 0; k < n; k++) got.push(new TextDecoder().decode(reader.batch.copy(k)));
      reader.release();
    }
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `hello ${i}`));
    await source.stop();
  });
});
