import { parseArgs } from 'node:util';
import { human, serveTelemetry, startDemo, type DemoOptions, type PipelineSnapshot, type TelemetryServer } from '@ringkit/pipeline';
import type { Board, TelemetryBinding } from '@ringkit/board';
import type { Command } from '../main.js';
import { checkBoardFlags, startBoardServer } from './board-start.js';
import { numberFlag } from '../flags.js';
import { StatusLine } from '../status-line.js';
import { NATS_CONNECTION_FLAGS, NATS_HELP, runNatsDemo } from './demo-nats.js';

const HELP = `Usage: ringkit demo [options]

FizzBuzz on worker threads (steady_state's performant lesson): heartbeat + generator →
worker → logger over rings of 2^20 slots, zero-copy batches. Prints a live line on stderr
and the final counts (value mod 15; 0 counts as FizzBuzz).

The report separates start-up (threads ready, first message logged, steady rate reached, in ms
from the start) from the sustained rate (messages / time from the first message generated to
the last logged); the end-to-end rate includes start-up and drain.

Options:
  -r, --rate <ms>            heartbeat period in milliseconds (default 2)
  -b, --beats <n>            heartbeats before the demo stops itself (default 30000;
                             with --board or --seconds: unlimited)
  -s, --seconds <s>          stop after this many seconds (whichever comes first)
      --capacity <n>         ring capacity, a power of two (default 1048576)
      --worker <form>        zero-copy (default: classify from the generator ring's view
                             straight into the output ring) or double-buffer (the lesson's
                             default: copy each batch into the worker's own buffer first)
      --troupe               heartbeat and generator share one worker thread (a troupe,
                             as in the lesson); by default each stage has its own
      --unpaced              heartbeats are only counted; by default each beat lets the
                             worker take at most two half rings (steady_state's pacing)
      --json                 print the final figures as one JSON object on stdout
      --telemetry-port <p>   serve /graph.dot, /metrics and /snapshot.json on 127.0.0.1:<p>
      --board                also serve the control board bound to the demo: a Pipeline tab
                             with a button per stage and ring (live sparklines of rate and
                             fill) and Pause / Resume generator and Stop pipeline buttons. The
                             board URL and a one-time login link are printed on stderr. Without
                             --beats or --seconds the demo then runs until Stop or Ctrl-C.
      --board-port <p>       board port (default 8000; 0 picks a free port)
      --board-host <h>       board address (default 127.0.0.1; non-loopback needs a token)
      --token <t>            board API token (default $RINGKIT_BOARD_TOKEN, else random)
${NATS_HELP}  -h, --help                 show this help
`;

/** The demo's live line: rates and ring fill. */
export function liveLine(s: PipelineSnapshot): string {
  const ring = (n: string): string => {
    const r = s.rings.find((x) => x.name === n);
    return r === undefined ? '' : `${n} ${human(r.ratePerSec)}/s fill ${Math.round(r.fill * 100)}%`;
  };
  const logger = s.stages.find((x) => x.name === 'logger');
  return `fizzbuzz: ${human(logger?.ratePerSec ?? 0)} msgs/s | ${ring('generator.out')} | ${ring('worker.out')} | total ${(logger?.entries ?? 0).toLocaleString('en-US')}`;
}

export const command: Command = {
  summary: 'FizzBuzz pipeline demo on worker threads (the main job): --rate, --beats, --json',
  async run(argv) {
    let values;
    try {
      values = parseArgs({
        args: argv,
        options: {
          rate: { type: 'string', short: 'r' },
          beats: { type: 'string', short: 'b' },
          seconds: { type: 'string', short: 's' },
          capacity: { type: 'string' },
          worker: { type: 'string' },
          unpaced: { type: 'boolean' },
          troupe: { type: 'boolean' },
          json: { type: 'boolean' },
          'telemetry-port': { type: 'string' },
          board: { type: 'boolean' },
          'board-port': { type: 'string' },
          'board-host': { type: 'string' },
          token: { type: 'string' },
          nats: { type: 'string' },
          part: { type: 'string' },
          ...NATS_CONNECTION_FLAGS,
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }).values;
    } catch (e) {
      process.stderr.write(`ringkit demo: ${(e as Error).message}; allowed: --rate --beats --seconds --capacity --worker --unpaced --troupe --json --telemetry-port --board --board-port --board-host --token --nats --part ${Object.keys(NATS_CONNECTION_FLAGS).map((k) => `--${k}`).join(' ')} --help\n`);
      return 2;
    }
    if (values.help === true) {
      process.stdout.write(HELP);
      return 0;
    }
    if (values.nats !== undefined || values.part !== undefined || Object.keys(NATS_CONNECTION_FLAGS).some((k) => values[k as keyof typeof values] !== undefined)) return runNatsDemo(values);
    const options: DemoOptions = {};
    let port: number | undefined;
    try {
      options.rateMs = numberFlag('rate', values.rate, (n) => n > 0 && n <= 60_000, 'a number of milliseconds in (0, 60000]');
      options.beats = numberFlag('beats', values.beats, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
      options.seconds = numberFlag('seconds', values.seconds, (n) => n > 0, 'a positive number of seconds');
      options.capacity = numberFlag('capacity', values.capacity, (n) => Number.isInteger(n) && n >= 16 && n <= 2 ** 26 && (n & (n - 1)) === 0, 'a power of two in [16, 2^26]');
      if (values.worker !== undefined && values.worker !== 'zero-copy' && values.worker !== 'double-buffer') {
        throw new Error(`--worker must be zero-copy or double-buffer: --worker ${values.worker}`);
      }
      options.worker = values.worker;
      if (values.unpaced === true) options.paced = false;
      if (values.troupe === true) options.troupe = true;
      port = numberFlag('telemetry-port', values['telemetry-port'], (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a port number in [0, 65535]');
    } catch (e) {
      process.stderr.write(`ringkit demo: ${(e as Error).message}\n`);
      return 2;
    }
    if (values.board !== true && (values['board-port'] ?? values['board-host'] ?? values.token) !== undefined) {
      process.stderr.write('ringkit demo: --board-port, --board-host and --token need --board\n');
      return 2;
    }
    const boardFlags = checkBoardFlags({ port: values['board-port'], host: values['board-host'], token: values.token, portFlag: '--board-port' }, 'ringkit demo');
    if ('code' in boardFlags) return boardFlags.code;
    // With a board to watch, run until stopped unless --beats / --seconds say otherwise.
    if (values.board === true && options.beats === undefined && options.seconds === undefined) options.beats = Number.MAX_SAFE_INTEGER;
    for (const k of Object.keys(options) as Array<keyof DemoOptions>) if (options[k] === undefined) delete options[k];
    const demo = await startDemo(options);
    let server: TelemetryServer | undefined;
    if (port !== undefined) {
      server = await serveTelemetry(demo.pipeline, port);
      process.stderr.write(`telemetry: http://127.0.0.1:${server.port}/graph.dot  http://127.0.0.1:${server.port}/metrics  http://127.0.0.1:${server.port}/snapshot.json\n`);
    }
    let board: { board: Board; binding: TelemetryBinding } | undefined;
    if (values.board === true) {
      const started = await startBoardServer(boardFlags, process.stderr, 'ringkit demo', 'The demo runs until its beats/seconds end, the Stop pipeline button or Ctrl-C.');
      if ('code' in started) {
        await demo.stop().catch(() => undefined);
        await server?.close();
        return started.code;
      }
      const { bindTelemetry } = await import('@ringkit/board');
      board = { board: started.board, binding: bindTelemetry(started.board, demo.pipeline, demo) };
    }
    const status = new StatusLine();
    let lastLine = 0;
    demo.pipeline.on('telemetry', (s: PipelineSnapshot) => {
      if (s.samples < 2 || s.t - lastLine < 1000) return;
      lastLine = s.t;
      status.update(liveLine(s));
    });
    const onSignal = (): void => void demo.stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const r = await demo.done;
      status.end();
      if (values.json === true) {
        const { generated, processed, fizz, buzz, fizzbuzz, value, msgsPerSec, seconds, heartbeats, worker, paced, pacedBound, threads, readyMs, firstMessageMs, steadyMs, sustainedMsgsPerSec } = r;
        process.stdout.write(`${JSON.stringify({
          generated, processed, fizz, buzz, fizzbuzz, value, msgsPerSec, seconds, heartbeats, worker, paced, pacedBound: pacedBound ?? null, threads,
          readyMs, firstMessageMs, steadyMs, sustainedMsgsPerSec,
        })}\n`);
      } else {
        process.stdout.write(
          `Generator: ${r.generated.toLocaleString('en-US')} generated\n` +
          `Worker: ${r.processed.toLocaleString('en-US')} processed, ${r.heartbeats} heartbeats\n` +
          `  ${r.worker} worker, ${r.paced ? `paced (at most ${r.pacedBound!.toLocaleString('en-US')}: two half rings per beat)` : 'unpaced'}\n` +
          `Logger: F:${r.fizz} B:${r.buzz} FB:${r.fizzbuzz} V:${r.value}\n` +
          `${r.threads} stage threads${r.threads === 3 ? ' (heartbeat + generator as one troupe)' : ''}\n` +
          `Start-up: threads ready in ${r.readyMs} ms, first message logged at ${r.firstMessageMs} ms, steady rate from ${r.steadyMs} ms\n` +
          `${human(r.sustainedMsgsPerSec)} msgs/s sustained (first message generated to last logged)\n` +
          `${human(r.msgsPerSec)} msgs/s end to end (${r.processed.toLocaleString('en-US')} messages in ${r.seconds} s, start-up and drain included)\n`,
        );
      }
      return 0;
    } catch (e) {
      process.stderr.write(`\nringkit demo: ${(e as Error).message}\n`);
      return 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      board?.binding.unbind();
      await board?.board.close();
      await server?.close();
    }
  },
};
