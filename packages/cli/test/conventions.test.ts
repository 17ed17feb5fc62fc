/**
 * The command-line conventions of `ringkit`, run as a user runs it (bin/ringkit.js in a child
 * process): help on stdout with exit 0 when asked for, usage on stderr with exit 2 on misuse,
 * the version from package.json, diagnostics on stderr only, prompt failure on a busy port,
 * and NO_COLOR (checked on a real pseudo-terminal through util-linux `script`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ringkit.js', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function ringkit(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The command names `ringkit --help` lists. */
function commandNames(help: string): string[] {
  const block = help.split('Commands:\n')[1]!.split('\n\n')[0]!;
  return block.split('\n').map((l) => l.trim().split(/\s+/)[0]!);
}

describe('ringkit: help, usage and version', () => {
  it('no arguments: usage on stderr, nothing on stdout, exit 2', () => {
    const r = ringkit([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: ringkit <command> \[options\]\n/);
  });

  it('--help, -h and help: the same usage on stdout, nothing on stderr, exit 0', () => {
    const outputs = ['--help', '-h', 'help'].map((a) => {
      const r = ringkit([a]);
      assert.equal(r.code, 0, a);
      assert.equal(r.stderr, '', a);
      return r.stdout;
    });
    assert.match(outputs[0]!, /^Usage: ringkit <command> \[options\]\n/);
    assert.equal(outputs[1], outputs[0]);
    assert.equal(outputs[2], outputs[0]);
    assert.deepEqual(commandNames(outputs[0]!), ['demo', 'bench', 'perf-test', 'example', 'board', 'shm']);
  });

  it('help <command> prints that command\'s help (as <command> --help does) on stdout, exit 0', () => {
    for (const name of commandNames(ringkit(['--help']).stdout)) {
      const viaHelp = ringkit(['help', name]);
      const viaFlag = ringkit([name, '--help']);
      assert.equal(viaHelp.code, 0, name);
      assert.equal(viaHelp.stderr, '', name);
      assert.match(viaHelp.stdout, new RegExp(`^Usage: ringkit ${name}\\b`), name);
      assert.equal(viaHelp.stdout, viaFlag.stdout, name);
    }
  });

  it('misuse exits 2 with the reason on stderr: unknown command, unknown option, help for an unknown command', () => {
    for (const [args, re] of [
      [['bogus'], /^ringkit: unknown command "bogus"; known commands: demo, bench, perf-test, example, board, shm\n/],
      [['--bogus'], /^ringkit: unknown option "--bogus"; allowed before a command: --help, --version\n/],
      [['help', 'bogus'], /^ringkit: no help for unknown command "bogus"/],
      [['help', 'demo', 'bench'], /^ringkit: help takes one command name: help demo bench\n/],
      [['demo', '--bogus'], /^ringkit demo: Unknown option '--bogus'/],
    ] as const) {
      const r = ringkit([...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
      assert.match(r.stderr, re);
    }
  });

  it('-V and --version print the version from package.json', () => {
    for (const a of ['-V', '--version']) {
      const r = ringkit([a]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${PKG.version}\n`);
    }
  });
});

/** Collects a child's output until `done(stdout, stderr)` holds or `ms` pass. */
async function watch(child: ReturnType<typeof spawn>, done: (out: string, err: string) => boolean, ms: number): Promise<{ out: string; err: string; code: Promise<number | null> }> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { err += String(d); });
  const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const end = Date.now() + ms;
  while (!done(out, err) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
  return { get out() { return out; }, get err() { return err; }, code };
}

describe('ringkit: one stream for diagnostics, prompt failures', () => {
  it('ringkit board prints its URL, login link and token on stderr (as demo --board does), nothing on stdout', async () => {
    const child = spawn(process.execPath, [BIN, 'board', '--port', '0'], { env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
    const w = await watch(child, (_o, e) => e.includes('Ctrl-C'), 15_000);
    try {
      assert.match(w.err, /^ringkit board listening on http:\/\/127\.0\.0\.1:\d+\/\n {2}open in a browser \(one-time login link\): \S+\n {2}API token \(generated; [^)]*\): \S+\n/m);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await w.code, 0);
    assert.match(w.err, /ringkit board stopped\.\n$/);
    assert.equal(w.out, '');
  });

  it('ringkit example resp --port <busy> says the address is in use and exits 1 promptly (staged and --plain)', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      for (const extra of [[], ['--plain']]) {
        const t0 = Date.now();
        const child = spawn(process.execPath, [BIN, 'example', 'resp', '--port', String(port), ...extra]);
        const w = await watch(child, () => false, 20_000);
        const killed = child.exitCode === null && child.kill('SIGKILL');
        assert.equal(killed, false, `still running after 20 s: ${w.err}`);
        assert.equal(await w.code, 1, w.err);
        assert.match(w.err, new RegExp(`^ringkit example resp: cannot serve on 127\\.0\\.0\\.1:${port}: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}\n$`));
        assert.equal(w.out, '');
        assert.ok(Date.now() - t0 < 20_000);
      }
    } finally {
      busy.close();
    }
  });
});

const ESC = String.fromCharCode(27);

describe('ringkit: NO_COLOR', () => {
  // On a terminal the live line is rewritten in place (\r + ESC[K); NO_COLOR and TERM=dumb
  // turn every escape sequence off. `script` gives the child a real pseudo-terminal.
  const onTerminal = (env: NodeJS.ProcessEnv): { code: number | null; text: string } => {
    const command = `'${process.execPath}' '${BIN}' demo --seconds 0.6 --capacity 65536`;
    const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TERM: 'xterm', ...env } });
    assert.equal(r.error, undefined, 'util-linux `script` is needed (Debian: bsdutils)');
    return { code: r.status, text: r.stdout };
  };

  it('a terminal gets the in-place live line; with NO_COLOR=1 or TERM=dumb the same run has no escape sequence at all', () => {
    const plain = onTerminal({ NO_COLOR: '' });
    assert.equal(plain.code, 0, plain.text);
    assert.ok(/\rfizzbuzz: .* msgs\/s/.test(plain.text) && plain.text.includes(`${ESC}[K`), `the control run rewrites its line in place: ${JSON.stringify(plain.text)}`);
    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: '', TERM: 'dumb' }]) {
      const r = onTerminal(env);
      assert.equal(r.code, 0, r.text);
      assert.match(r.text, /fizzbuzz: .* msgs\/s/, JSON.stringify(env));
      assert.match(r.text, /Logger: F:\d+ B:\d+ FB:\d+ V:\d+/, JSON.stringify(env));
      assert.ok(!r.text.includes(ESC), `${JSON.stringify(env)}: ${JSON.stringify(r.text)}`);
    }
  });
});
