import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, createUser } from '@nats-io/nkeys';
import { InvalidArgumentError, Ring, RingkitError, reviveError, serializeError } from '@ringkit/core';
import { connectNats, NatsAuthError, NatsTlsError, RingSink, RingSource, type NatsConnectOptions } from '../src/index.js';
import { makeCerts, type TestCerts } from './fixtures/certs.js';
import { NatsServer } from './fixtures/nats-server.js';
import { makeOperator, type OperatorSetup } from './fixtures/operator.js';
import { drainTyped, produceTyped, schema } from './fixtures/typed-ring.js';

// Real servers with TLS (certificates made with openssl at test time), a client-certificate
// server (verify: true), NKey users, and decentralised auth (operator mode; JWTs and creds
// minted offline with @nats-io/jwt): the bridge connects with each kind of credential, and each
// bad one is the documented typed error naming the server.

const dir = mkdtempSync(join(tmpdir(), 'ringkit-nats-tls-'));
let certs: TestCerts;
let operator: OperatorSetup;
const nkeyUser = createUser();
const seed = (kp: { getSeed(): Uint8Array }): string => new TextDecoder().decode(kp.getSeed());
let tls: NatsServer;
let mtls: NatsServer;
let nkey: NatsServer;
let op: NatsServer;
let token: NatsServer;
let tlsOp: NatsServer;

before(async () => {
  certs = makeCerts(dir);
  operator = await makeOperator(dir);
  const tlsBlock = (extra: string): string => `tls {\n  cert_file: "${certs.server.cert}"\n  key_file: "${certs.server.key}"\n${extra}}\n`;
  [tls, mtls, nkey, op, token, tlsOp] = await Promise.all([
    NatsServer.start({ config: tlsBlock('') }),
    NatsServer.start({ config: tlsBlock(`  ca_file: "${certs.ca}"\n  verify: true\n`), jetstream: false }),
    NatsServer.start({ config: `authorization {\n  users = [ { nkey: ${nkeyUser.getPublicKey()} } ]\n}\n` }),
    NatsServer.start({ config: operator.config }),
    NatsServer.start({ config: 'authorization {\n  token: "s3cret-token"\n}\n' }),
    NatsServer.start({ config: `${operator.config}${tlsBlock('')}` }),
  ]);
});
after(async () => {
  await Promise.all([tls, mtls, nkey, op, token, tlsOp].map((s) => s?.close()));
  rmSync(dir, { recursive: true, force: true });
});

let subjects = 0;
/** A typed ring → JetStream → a typed ring, sink and source each opening its own connection with `connection`: every entry checked in order, once. */
async function crossRing(connection: NatsConnectOptions, total = 50_000): Promise<void> {
  const n = ++subjects;
  const subject = `sec${n}.data`;
  const near = Ring.create({ capacity: 1024, schema });
  const sink = await RingSink.start({ ring: near, connection, subject, createStream: { name: `SEC${n}`, subjects: [`sec${n}.>`] } });
  const far = Ring.create({ capacity: 512, schema });
  const farConsumer = far.addConsumer();
  const source = await RingSource.start({ ring: far, connection, subject, durable: `far${n}`, closeAfterEnds: 1 });
  const [, got, sinkStats, sourceStats] = await Promise.all([produceTyped(near, total), drainTyped(far, farConsumer), sink.done, source.done]);
  assert.equal(got, total);
  assert.deepEqual([sinkStats.published, sinkStats.acked, sourceStats.published, sourceStats.acked], [total, total, total, total]);
}

/** `connectNats(options)` rejects with an error of `cls` naming the server, whose message matches `message`; resolves with it. */
async function refused<E extends Error>(options: NatsConnectOptions, cls: new (...a: never[]) => E, message: RegExp): Promise<E> {
  let caught: unknown;
  await assert.rejects(connectNats({ timeoutMs: 1000, ...options }), (e: unknown) => {
    caught = e;
    assert.ok(e instanceof cls, `${cls.name} expected: ${String(e)}`);
    assert.ok(e instanceof RingkitError);
    if (!(e instanceof InvalidArgumentError)) assert.equal((e as unknown as { server: string }).server, options.servers);
    assert.match(e.message, message);
    return true;
  });
  return caught as E;
}

describe('TLS', () => {
  it('a ring crosses a TLS server: the bridge trusts the server certificate through tls.caFile', async () => {
    await crossRing({ servers: tls.url, tls: { caFile: certs.ca } });
    const nc = await connectNats({ servers: `nats://localhost:${tls.port}`, tls: { caFile: certs.ca } });
    assert.equal(nc.info?.tls_required, true);
    await nc.close();
  });

  it('an untrusted server certificate, a wrong CA, TLS to a plain server: NatsTlsError saying what to pass', async () => {
    const url = tls.url;
    await refused({ servers: url }, NatsTlsError,
      new RegExp(`^TLS with the NATS server at ${url} failed: .+; the server's certificate is not signed by a CA this process trusts: pass tls: \\{ caFile \\} naming the CA that signed it$`));
    const wrong = await refused({ servers: url, tls: { caFile: certs.otherCa } }, NatsTlsError,
      new RegExp(`^TLS with the NATS server at ${url} failed: .+; the server's certificate is not signed by the CA in tls\\.caFile=${certs.otherCa}, or does not name the host of the URL$`));
    assert.equal(wrong.code, 'ERR_NATS_TLS');
    // A pipeline stage's error reaches the main thread as its class.
    const revived = reviveError(serializeError(wrong));
    assert.ok(revived instanceof NatsTlsError);
    assert.equal(revived.message, wrong.message);
    await refused({ servers: nkey.url, tls: { caFile: certs.ca } }, NatsTlsError,
      /failed: server does not support 'tls'; that server takes plain connections only: drop the tls option, or enable tls in its configuration$/);
    await refused({ servers: url, tls: { caFile: join(dir, 'nope.pem') } }, InvalidArgumentError, /^options\.tls\.caFile cannot be read: caFile=".*nope\.pem" \(ENOENT/);
    await refused({ servers: url, tls: { caFile: certs.ca, certFile: certs.client.cert } }, InvalidArgumentError, /^options\.tls\.certFile and options\.tls\.keyFile go together/);
    // Through a bridge too: RingSink.start rejects with the same class.
    await assert.rejects(RingSink.start({ ring: Ring.create({ capacity: 16, schema }), connection: { servers: url, tls: { caFile: certs.otherCa } }, subject: 'sec.x' }), NatsTlsError);
  });

  it('a server asking for client certificates: tls.certFile + keyFile connect; none, or one it refuses, is a NatsTlsError', async () => {
    const nc = await connectNats({ servers: mtls.url, tls: { caFile: certs.ca, certFile: certs.client.cert, keyFile: certs.client.key } });
    assert.equal(nc.info?.tls_verify, true);
    const sub = nc.subscribe('m.x', { max: 1 });
    nc.publish('m.x', 'over mutual TLS');
    for await (const m of sub) assert.equal(m.string(), 'over mutual TLS');
    await nc.close();
    await refused({ servers: mtls.url, tls: { caFile: certs.ca } }, NatsTlsError,
      /failed: timeout; the server asks for a client certificate \(verify: true in its tls block\) and none was given: pass tls: \{ certFile, keyFile \}$/);
    // The server's own certificate is not for client authentication.
    await refused({ servers: mtls.url, tls: { caFile: certs.ca, certFile: certs.server.cert, keyFile: certs.server.key } }, NatsTlsError,
      /failed: timeout; the server asks for a client certificate \(verify: true in its tls block\) and did not complete the handshake with tls\.certFile=.*server\.pem: the certificate must be signed by a CA the server trusts/);
  });
});

describe('tokens', () => {
  it('a ring crosses a token server with options.token; a wrong token is a NatsAuthError that does not print it', async () => {
    await crossRing({ servers: token.url, token: 's3cret-token' });
    const e = await refused({ servers: token.url, token: 'wrong-token' }, NatsAuthError, new RegExp(`^the NATS server at ${token.url} refused the credentials \\(token\\): Authorization Violation$`));
    assert.ok(!e.message.includes('wrong-token'));
  });
});

describe('NKey users', () => {
  it('a ring crosses a server that lists the user by its public key: options.nkeySeed signs the nonce', async () => {
    await crossRing({ servers: nkey.url, nkeySeed: seed(nkeyUser) });
  });

  it('another user\'s seed or none is a NatsAuthError naming the server and the key; a malformed or non-user seed is an InvalidArgumentError', async () => {
    const other = createUser();
    const e = await refused({ servers: nkey.url, nkeySeed: seed(other) }, NatsAuthError,
      new RegExp(`^the NATS server at ${nkey.url} refused the credentials \\(nkey ${other.getPublicKey()}\\): Authorization Violation$`));
    assert.equal(e.code, 'ERR_NATS_AUTH');
    assert.ok(!e.message.includes(seed(other)), 'the seed is never printed');
    await refused({ servers: nkey.url }, NatsAuthError, /refused the credentials \(no credentials\): Authorization Violation$/);
    await refused({ servers: nkey.url, nkeySeed: 'SUnot-a-seed' }, InvalidArgumentError, /^options\.nkeySeed is not a valid NKey seed \(/);
    await refused({ servers: nkey.url, nkeySeed: seed(createAccount()) }, InvalidArgumentError, /^options\.nkeySeed must be an NKey user seed \(it starts with SU\): it starts with "SA"$/);
  });
});

describe('creds files (decentralised auth: an operator, JWTs minted offline)', () => {
  it('a ring crosses JetStream in an account of an operator-mode server: options.credsFile', async () => {
    await crossRing({ servers: op.url, credsFile: operator.creds });
  });

  it('TLS and a creds file on one server: tls.caFile + credsFile', async () => {
    await crossRing({ servers: tlsOp.url, credsFile: operator.creds, tls: { caFile: certs.ca } });
    await refused({ servers: tlsOp.url, credsFile: operator.creds }, NatsTlsError, /the server's certificate is not signed by a CA this process trusts/);
    await refused({ servers: tlsOp.url, credsFile: operator.strangerCreds, tls: { caFile: certs.ca } }, NatsAuthError, /refused the credentials \(creds file .*stranger\.creds/);
  });

  it('a user of an unknown account, an expired JWT, no creds: NatsAuthError naming the server and the user; a bad file is an InvalidArgumentError', async () => {
    await refused({ servers: op.url, credsFile: operator.strangerCreds }, NatsAuthError,
      new RegExp(`^the NATS server at ${op.url} refused the credentials \\(creds file ${operator.strangerCreds} \\(user U[A-Z0-9]{55}, account A[A-Z0-9]{55}\\)\\): Authorization Violation$`));
    await refused({ servers: op.url, credsFile: operator.expiredCreds }, NatsAuthError, /refused the credentials \(creds file .*expired\.creds .*\): /);
    await refused({ servers: op.url }, NatsAuthError, /refused the credentials \(no credentials\)/);
    await refused({ servers: op.url, credsFile: operator.mismatchedCreds }, InvalidArgumentError, /^options\.credsFile holds the seed of user U[A-Z0-9]+ but the JWT of user U[A-Z0-9]+: credsFile=/);
    await refused({ servers: op.url, credsFile: certs.ca }, InvalidArgumentError, /^options\.credsFile is not a NATS \.creds file \(a user JWT block, then the user's NKey seed block/);
    await refused({ servers: op.url, credsFile: join(dir, 'none.creds') }, InvalidArgumentError, /^options\.credsFile cannot be read: credsFile=".*none\.creds" \(ENOENT/);
  });
});
