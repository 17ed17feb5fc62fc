import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { demoPart, makeCerts, makeOperator, NatsServer, type DemoRun } from './fixtures/nats.js';

// `ringkit demo --nats` against secured servers: TLS with a CA made by openssl, a client
// certificate, an NKey user, an operator-mode account (creds file): both parts connect with the
// connection flags and end with exact counts; a wrong CA is the typed error's message, exit 1.

const dir = mkdtempSync(join(tmpdir(), 'ringkit-cli-nats-secure-'));
const certs = makeCerts(dir);
const operator = await makeOperator(dir);
const nkeyUser = createUser();
const seedFile = join(dir, 'user.nk');
writeFileSync(seedFile, `${new TextDecoder().decode(nkeyUser.getSeed())}\n`);
let mtls: NatsServer;
let nkey: NatsServer;
let op: NatsServer;
before(async () => {
  [mtls, nkey, op] = await Promise.all([
    NatsServer.start({ config: `tls {\n  cert_file: "${certs.server.cert}"\n  key_file: "${certs.server.key}"\n  ca_file: "${certs.ca}"\n  verify: true\n}\n` }),
    NatsServer.start({ config: `authorization {\n  users = [ { nkey: ${nkeyUser.getPublicKey()} } ]\n}\n` }),
    NatsServer.start({ config: operator.config }),
  ]);
});
after(async () => {
  await Promise.all([mtls, nkey, op].map((s) => s?.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** `ringkit demo --nats <url> --part <name> --json ...` as an OS process. */
const part = (url: string, name: 'generator' | 'worker', ...args: string[]): Promise<DemoRun> => demoPart(url, name, '--json', '--capacity', '16384', ...args);

/** Both parts on `url` with the connection flags `flags`: the same run, exact counts. */
async function splitDemo(url: string, flags: string[]): Promise<void> {
  const worker = part(url, 'worker', ...flags);
  const g = await part(url, 'generator', '--beats', '200', ...flags);
  const w = await worker;
  assert.equal(g.code, 0, g.err);
  assert.equal(w.code, 0, w.err);
  const gj = JSON.parse(g.out) as { run: string; generated: number };
  const wj = JSON.parse(w.out) as { run: string; processed: number };
  assert.ok(gj.generated > 0);
  assert.equal(wj.run, gj.run);
  assert.equal(wj.processed, gj.generated);
}

describe('ringkit demo --nats with credentials and TLS', () => {
  it('TLS with a client certificate: --nats-ca, --nats-cert, --nats-key', async () => {
    await splitDemo(mtls.url, ['--nats-ca', certs.ca, '--nats-cert', certs.client.cert, '--nats-key', certs.client.key]);
  });

  it('an NKey user: --nats-nkey <seed file>', async () => {
    await splitDemo(nkey.url, ['--nats-nkey', seedFile]);
  });

  it('a creds file of an operator-mode account: --nats-creds', async () => {
    await splitDemo(op.url, ['--nats-creds', operator.creds]);
  });

  it('a wrong CA or a refused user: exit 1 with the typed error\'s message naming the server', async () => {
    const tls = await part(mtls.url, 'worker', '--nats-ca', certs.otherCa, '--nats-cert', certs.client.cert, '--nats-key', certs.client.key);
    assert.equal(tls.code, 1);
    assert.match(tls.err, new RegExp(`^ringkit demo: TLS with the NATS server at ${mtls.url} failed: .+; the server's certificate is not signed by the CA in tls\\.caFile=`, 'm'));
    const auth = await part(op.url, 'generator', '--nats-creds', operator.strangerCreds);
    assert.equal(auth.code, 1);
    assert.match(auth.err, new RegExp(`^ringkit demo: the NATS server at ${op.url} refused the credentials \\(creds file `, 'm'));
    const bad = await part(nkey.url, 'worker', '--nats-nkey', join(dir, 'none.nk'));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^ringkit demo: --nats-nkey must name a readable file holding an NKey user seed: --nats-nkey=.*none\.nk \(ENOENT/m);
  });
});
