/**
 * Board start-up shared by `ringkit board` and `ringkit demo --board`: validates the port and
 * token flags, loads the (optional) board package, creates the board, listens, and prints the
 * addresses it can be reached at, a one-time login link (and its QR code, for a tablet, when the
 * board is reachable from the network) and the API token.
 */
import type { Board } from '@ringkit/board';
import { integerFlag } from '../flags.js';
import { isMissingPackage } from '../optional-package.js';

/** Raw board flag values, and the flag names they came from (for the error messages). */
export interface BoardFlagValues {
  port?: string | undefined;
  host?: string | undefined;
  token?: string | undefined;
  configDir?: string | undefined;
  /** The port flag as the command spells it (default `--port`; the demo's is `--board-port`). */
  portFlag?: string;
}

/** Board options checked by {@link checkBoardFlags}. */
export interface BoardFlags {
  port: number;
  host: string | undefined;
  token: string | undefined;
  configDir: string | undefined;
}

function fail(prefix: string, message: string, code: number, hint: string): { code: number } {
  process.stderr.write(`${prefix}: ${message}\n${hint}`);
  return { code };
}

/**
 * Checks the port and token flags (the token defaults to `$RINGKIT_BOARD_TOKEN`); on a bad value
 * prints why on stderr, prefixed with `prefix` (e.g. `ringkit board`), and gives exit code 2.
 */
export function checkBoardFlags(v: BoardFlagValues, prefix: string): BoardFlags | { code: number } {
  const portFlag = v.portFlag ?? '--port';
  const hint = `Run \`${prefix} --help\` for the options.\n`;
  let port: number;
  try {
    port = integerFlag(portFlag.slice(2), v.port, 0, 65535) ?? 8000;
  } catch (e) {
    return fail(prefix, (e as Error).message, 2, hint);
  }
  const token = v.token ?? (process.env.RINGKIT_BOARD_TOKEN || undefined);
  if (token !== undefined && token.length < 8) return fail(prefix, '--token (or RINGKIT_BOARD_TOKEN) must be at least 8 characters long', 2, hint);
  return { port, host: v.host, token, configDir: v.configDir };
}

/**
 * Loads `@ringkit/board` on demand. `ringkit` lists it as an optional peer dependency, so
 * installing the CLI does not pull the web board's weight; when it is absent this says how to
 * add it (exit code 1) instead of failing with a bare module-not-found error.
 */
export async function loadBoard(prefix: string): Promise<typeof import('@ringkit/board') | { code: number }> {
  try {
    return await import('@ringkit/board');
  } catch (e) {
    if (!isMissingPackage(e, '@ringkit/board')) throw e;
    return fail(prefix, 'the control board is a separate package, not installed here: run `npm install @ringkit/board` (beside ringkit), then try again', 1, '');
  }
}

/**
 * Starts the board and prints how to reach it on `out` (URL, one-time login link, API token);
 * `footer` is the last line (how to stop). When the board cannot start, prints why on stderr
 * and gives the exit code: 2 for a refused non-loopback bind without a token, else 1.
 */
export async function startBoardServer(f: BoardFlags, out: NodeJS.WritableStream, prefix: string, footer: string): Promise<{ board: Board; url: string } | { code: number }> {
  const loaded = await loadBoard(prefix);
  if ('code' in loaded) return loaded;
  const { Board, isLoopback, terminalQr } = loaded;
  let board: Board;
  try {
    board = await Board.create({ port: f.port, host: f.host, token: f.token, configDir: f.configDir, log: (l) => process.stderr.write(`${l}\n`) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return fail(prefix, msg, msg.startsWith('refusing') ? 2 : 1, '');
  }
  await board.listen();
  // A wildcard bind (0.0.0.0) is no address to open: print the machine's own, LAN ones first.
  const urls = board.urls();
  const url = urls[0]!;
  const link = board.loginUrl(url);
  const lan = !isLoopback(new URL(url).hostname.replace(/^\[|\]$/g, ''));
  out.write([
    `ringkit board listening on ${url}`,
    ...(urls.length > 1 ? [`  reachable at: ${urls.join('  ')}`] : []),
    `  open in a browser (one-time login link): ${link}`,
    ...(lan ? ['  or scan it with a tablet on the same network:', ...terminalQr(link).split('\n').map((l) => `  ${l}`)] : []),
    board.tokenGenerated ? `  API token (generated; set --token or RINGKIT_BOARD_TOKEN to choose one): ${board.token}` : '  API token: as given (--token / RINGKIT_BOARD_TOKEN)',
    `  try: curl -H "Authorization: Bearer <token>" ${url}api/v1/config`,
    footer,
    '',
  ].join('\n'));
  return { board, url };
}
