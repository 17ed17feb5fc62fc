import { parseArgs } from 'node:util';
import { startPlainRespServer, startRespServer, type RespServer } from '@ringkit/pipeline';
import type { Command } from '../main.js';
import { integerFlag } from '../flags.js';

const HELP = `Usage: ringkit example resp [options]

A staged Redis-protocol (RESP2) server: listener (main thread) → parser stages → worker
stages (key shards) → replier, on worker threads connected by rings. Commands: PING ECHO SET
GET DEL INCR MGET, pipelining; -ERR for anything else or malformed input.

Options:
  -p, --port <n>       TCP port (default 6380; 0 = any free port)
      --host <addr>    address to listen on (default 127.0.0.1)
      --parsers <n>    parser stages (default 2)
      --workers <n>    worker stages (default 2)
      --plain          run the single-threaded baseline server instead (no rings)
  -h, --help           show this help
`;

export const command: Command = {
  summary: 'example programs: `ringkit example resp --port N` (staged Redis-protocol server)',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          port: { type: 'string', short: 'p' },
          host: { type: 'string' },
          parsers: { type: 'string' },
          workers: { type: 'string' },
          plain: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      process.stderr.write(`ringkit example: ${(e as Error).message}; allowed: --port --host --parsers --workers --plain --help\n`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help === true) {
      process.stdout.write(HELP);
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] !== 'resp') {
      process.stderr.write(`ringkit example: name one example; allowed: resp (got ${positionals.length === 0 ? 'none' : positionals.join(' ')})\n`);
      return 2;
    }
    let port: number, parsers: number, workers: number;
    try {
      port = integerFlag('port', values.port, 0, 65535) ?? 6380;
      parsers = integerFlag('parsers', values.parsers, 1, 8) ?? 2;
      workers = integerFlag('workers', values.workers, 1, 8) ?? 2;
    } catch (e) {
      process.stderr.write(`ringkit example: ${(e as Error).message}\n`);
      return 2;
    }
    const host = values.host ?? '127.0.0.1';
    let server: RespServer;
    try {
      server = values.plain === true ? await startPlainRespServer({ port, host }) : await startRespServer({ port, host, parsers, workers });
    } catch (e) {
      process.stderr.write(`ringkit example resp: cannot serve on ${host}:${port}: ${(e as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`ringkit example resp: ${values.plain === true ? 'plain single-thread' : `staged (${parsers} parsers, ${workers} workers, 1 replier)`} server listening on ${host}:${server.port}; Ctrl-C stops\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  },
};
