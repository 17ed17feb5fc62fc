/**
 * `ringkit board`: serves the control board (packaged default config, or `--config DIR`) and
 * prints a one-time login link for the browser and the token for API clients (on stderr, as
 * `ringkit demo --board` does).
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { checkBoardFlags, startBoardServer } from './board-start.js';

const HELP = `Usage: ringkit board [--port N] [--host H] [--token T] [--config DIR]

Serves the ringkit control board: pages of buttons that run actions, updatable live over
HTTP (/api/v1/...) and a WebSocket.

Options:
  --port N       port to listen on (default 8000; 0 picks a free port)
  --host H       address to bind (default 127.0.0.1); a non-loopback address needs a token
  --token T      bearer token for the API, the actions and the WebSocket
                 (default: $RINGKIT_BOARD_TOKEN, else a random token printed at start)
  --config DIR   directory with ui_config.yaml / actions_config.yaml (each falls back to the
                 packaged default when missing, empty or not YAML)
  -h, --help     show this help
`;

function fail(message: string): number {
  process.stderr.write(`ringkit board: ${message}\nRun \`ringkit board --help\` for the options.\n`);
  return 2;
}

/** The `board` command. */
export const command: Command = {
  summary: 'serve the web control board (buttons, actions, live sparklines)',
  async run(argv) {
    let values: { port?: string; host?: string; token?: string; config?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      return fail(`${e instanceof Error ? e.message : String(e)}; allowed: --port N, --host H, --token T, --config DIR, --help`);
    }
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const flags = checkBoardFlags({ ...values, configDir: values.config }, 'ringkit board');
    if ('code' in flags) return flags.code;
    const started = await startBoardServer(flags, process.stderr, 'ringkit board', 'Press Ctrl-C to stop.');
    if ('code' in started) return started.code;
    const { board } = started;
    await new Promise<void>((resolve) => {
      const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await board.close();
    process.stderr.write('ringkit board stopped.\n');
    return 0;
  },
};
