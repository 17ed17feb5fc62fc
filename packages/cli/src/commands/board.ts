/**
 * `ringkit board`: serves the control board (packaged default config, or `--config DIR`) and
 * prints a one-time login link for the browser and the token for API clients.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';

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
    const port = values.port === undefined ? 8000 : Number(values.port);
    if (!/^\d+$/.test(values.port ?? '8000') || port > 65535) return fail(`--port must be an integer in [0, 65535]: --port=${values.port}`);
    const token = values.token ?? (process.env.RINGKIT_BOARD_TOKEN || undefined);
    if (token !== undefined && token.length < 8) return fail('--token (or RINGKIT_BOARD_TOKEN) must be at least 8 characters long');
    const { Board } = await import('@ringkit/board');
    let board: Awaited<ReturnType<typeof Board.create>>;
    try {
      board = await Board.create({ port, host: values.host, token, configDir: values.config, log: (l) => process.stderr.write(`${l}\n`) });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      process.stderr.write(`ringkit board: ${msg}\n`);
      return msg.startsWith('refusing') ? 2 : 1;
    }
    const url = await board.listen();
    process.stdout.write([
      `ringkit board listening on ${url}`,
      `  open in a browser (one-time login link): ${board.loginUrl()}`,
      board.tokenGenerated ? `  API token (generated; set --token or RINGKIT_BOARD_TOKEN to choose one): ${board.token}` : '  API token: as given (--token / RINGKIT_BOARD_TOKEN)',
      `  try: curl -H "Authorization: Bearer <token>" ${url}api/v1/config`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'));
    await new Promise<void>((resolve) => {
      const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await board.close();
    process.stdout.write('ringkit board stopped.\n');
    return 0;
  },
};
