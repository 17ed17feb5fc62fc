/**
 * `ringkit demo --nats <url> --part generator|worker`: the FizzBuzz demo split in two processes
 * (or hosts) at the generator → worker boundary, bridged through NATS JetStream
 * (`startSplitDemo` of `@ringkit/nats`, an optional peer of the CLI). Each part prints its exact
 * counts at the end: `generated` (generator part) equals `processed` (worker part), of the run
 * both print (`run:`); their progress (the run, waiting, a run superseded) goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { serveTelemetry, type TelemetryServer } from '@ringkit/pipeline';
import type { Board, TelemetryBinding } from '@ringkit/board';
import { checkBoardFlags, startBoardServer } from './board-start.js';
import { numberFlag } from '../flags.js';
import { isMissingPackage } from '../optional-package.js';

/** The flags of `ringkit demo` that `--nats` uses (the others are refused with it). */
export interface NatsDemoFlags {
  nats?: string;
  part?: string;
  beats?: string;
  rate?: string;
  capacity?: string;
  json?: boolean;
  'telemetry-port'?: string;
  board?: boolean;
  'board-port'?: string;
  'board-host'?: string;
  token?: string;
  'nats-creds'?: string;
  'nats-nkey'?: string;
  'nats-ca'?: string;
  'nats-cert'?: string;
  'nats-key'?: string;
  [flag: string]: string | boolean | undefined;
}

/** The `parseArgs` options of the connection flags of `--nats`: credentials and TLS files. */
export const NATS_CONNECTION_FLAGS = {
  'nats-creds': { type: 'string' },
  'nats-nkey': { type: 'string' },
  'nats-ca': { type: 'string' },
  'nats-cert': { type: 'string' },
  'nats-key': { type: 'string' },
} as const;

/** The `ringkit demo --help` lines of the NATS flags. */
export const NATS_HELP = `      --nats <url>           split the demo in two processes bridged through NATS JetStream
                             (needs @ringkit/nats and a nats-server with -js): run
                             --part worker in one terminal and --part generator in another;
                             both print exact counts of the same run at the end (default
                             --beats 300 and --capacity 65536 with --nats; the generator part
                             starts a new run and stops after --beats; the worker part counts
                             the newest run no worker counted yet, or waits for one, and
                             starts over if a newer run supersedes it)
      --part <p>             generator (heartbeat + generator → NATS) or worker
                             (NATS → worker → logger); needs --nats
      --nats-creds <file>    a .creds file (user JWT + seed; decentralised auth)
      --nats-nkey <file>     a file holding an NKey user seed (SU…)
      --nats-ca <file>       TLS: the CA that signed the server's certificate
      --nats-cert <file>     TLS: a client certificate (with --nats-key)
      --nats-key <file>      TLS: the client certificate's key
`;

const ALLOWED = new Set(['nats', 'part', 'beats', 'rate', 'capacity', 'json', 'telemetry-port', 'board', 'board-port', 'board-host', 'token', ...Object.keys(NATS_CONNECTION_FLAGS)]);

/** The connect options the connection flags give (credentials, TLS files); a message when a flag is wrong. */
function connectionOf(values: NatsDemoFlags): import('@ringkit/nats').SplitDemoOptions['connection'] | string {
  const connection: NonNullable<import('@ringkit/nats').SplitDemoOptions['connection']> = {};
  if (values['nats-creds'] !== undefined) connection.credsFile = values['nats-creds'];
  if (values['nats-nkey'] !== undefined) {
    try {
      connection.nkeySeed = readFileSync(values['nats-nkey'], 'utf8').trim();
    } catch (e) {
      return `--nats-nkey must name a readable file holding an NKey user seed: --nats-nkey=${values['nats-nkey']} (${(e as Error).message})`;
    }
  }
  if ((values['nats-cert'] === undefined) !== (values['nats-key'] === undefined)) return '--nats-cert and --nats-key go together (a client certificate and its key)';
  const tls = {
    ...(values['nats-ca'] === undefined ? {} : { caFile: values['nats-ca'] }),
    ...(values['nats-cert'] === undefined ? {} : { certFile: values['nats-cert'], keyFile: values['nats-key'] }),
  };
  if (Object.keys(tls).length > 0) connection.tls = tls;
  return connection;
}

/** Runs one part; resolves with the exit code. */
export async function runNatsDemo(values: NatsDemoFlags): Promise<number> {
  const err = (m: string, code = 2): number => {
    process.stderr.write(`ringkit demo: ${m}\n`);
    return code;
  };
  const connectionFlag = Object.keys(NATS_CONNECTION_FLAGS).find((k) => values[k] !== undefined);
  if (values.nats === undefined) return err(values.part === undefined && connectionFlag !== undefined ? `--${connectionFlag} needs --nats <url>` : '--part needs --nats <url>');
  if (values.part !== 'generator' && values.part !== 'worker') return err(`--part must be generator or worker with --nats: --part=${String(values.part)}`);
  const extra = Object.keys(values).filter((k) => values[k] !== undefined && !ALLOWED.has(k));
  if (extra.length > 0) return err(`${extra.map((k) => `--${k}`).join(' ')} cannot be used with --nats; allowed: ${[...ALLOWED].map((k) => `--${k}`).join(' ')}`);
  let beats; let rateMs; let capacity; let port;
  try {
    beats = numberFlag('beats', values.beats, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
    rateMs = numberFlag('rate', values.rate, (n) => n > 0 && n <= 60_000, 'a number of milliseconds in (0, 60000]');
    capacity = numberFlag('capacity', values.capacity, (n) => Number.isInteger(n) && n >= 16 && n <= 2 ** 26 && (n & (n - 1)) === 0, 'a power of two in [16, 2^26]');
    port = numberFlag('telemetry-port', values['telemetry-port'], (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a port number in [0, 65535]');
  } catch (e) {
    return err((e as Error).message);
  }
  if (values.board !== true && (values['board-port'] ?? values['board-host'] ?? values.token) !== undefined) return err('--board-port, --board-host and --token need --board');
  const boardFlags = checkBoardFlags({ port: values['board-port'], host: values['board-host'], token: values.token, portFlag: '--board-port' }, 'ringkit demo');
  if ('code' in boardFlags) return boardFlags.code;
  const connection = connectionOf(values);
  if (typeof connection === 'string') return err(connection);
  let nats: typeof import('@ringkit/nats');
  try {
    nats = await import('@ringkit/nats');
  } catch (e) {
    if (!isMissingPackage(e, '@ringkit/nats')) throw e;
    return err('--nats needs the separate package @ringkit/nats: run `npm install @ringkit/nats` (beside ringkit), then try again', 1);
  }
  const part = values.part;
  const onEvent = (e: import('@ringkit/nats').SplitDemoEvent): void => {
    if (e.kind === 'run') process.stderr.write(part === 'generator' ? `generator: run ${e.run} (start marker at stream sequence ${e.sequence}; the stream was purged)\n` : `worker: counting run ${e.run} from stream sequence ${e.sequence}\n`);
    else if (e.kind === 'waiting') process.stderr.write('worker: waiting for a generator part (no run in the stream that no worker has counted yet)\n');
    else process.stderr.write(`worker: run ${e.run} superseded by ${e.by === undefined ? 'a newer run' : `run ${e.by}`} (a generator part started again): its counts are dropped, starting over\n`);
  };
  process.stderr.write(`fizzbuzz ${part} part on ${values.nats} (stream FIZZBUZZ, subjects fizzbuzz.run, fizzbuzz.heartbeat and fizzbuzz.generator)\n`);
  let demo;
  try {
    demo = await nats.startSplitDemo({ part, servers: values.nats, connection, onEvent, ...(beats === undefined ? {} : { beats }), ...(rateMs === undefined ? {} : { rateMs }), ...(capacity === undefined ? {} : { capacity }) });
  } catch (e) {
    return err((e as Error).message, 1);
  }
  let server: TelemetryServer | undefined;
  let board: { board: Board; binding: TelemetryBinding } | undefined;
  const onSignal = (): void => void demo.stop().catch(() => undefined);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (port !== undefined) {
      server = await serveTelemetry(demo, port);
      process.stderr.write(`telemetry: http://127.0.0.1:${server.port}/graph.dot  http://127.0.0.1:${server.port}/metrics  http://127.0.0.1:${server.port}/snapshot.json\n`);
    }
    if (values.board === true) {
      const started = await startBoardServer(boardFlags, process.stderr, 'ringkit demo', 'The part runs until it ends, the Stop pipeline button or Ctrl-C.');
      if ('code' in started) {
        await demo.stop().catch(() => undefined);
        return started.code;
      }
      const { bindTelemetry } = await import('@ringkit/board');
      board = { board: started.board, binding: bindTelemetry(started.board, demo) };
    }
    const r = await demo.done;
    process.stdout.write(values.json === true ? `${JSON.stringify(r)}\n` : nats.formatSplitDemo(r));
    return 0;
  } catch (e) {
    return err((e as Error).message, 1);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    board?.binding.unbind();
    await board?.board.close();
    await server?.close();
  }
}
