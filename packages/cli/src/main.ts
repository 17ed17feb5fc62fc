/**
 * The `ringkit` command line. Each sub-command lives in `commands/<name>.ts` and exports a
 * {@link Command}; this file only dispatches. Commands are imported lazily so a command's
 * dependencies load only when it runs.
 *
 * Conventions (tested in `test/conventions.test.ts`): asked-for help goes to stdout with exit 0
 * (`--help`, `help`, `help <command>`, `<command> --help`); misuse prints usage on stderr and
 * exits 2 (no command, an unknown command or option); every diagnostic and progress line goes to
 * stderr, results to stdout; `NO_COLOR` (or `TERM=dumb`) turns off every escape sequence.
 */
import { readFileSync } from 'node:fs';

export interface Command {
  /** One line shown by `ringkit --help`. */
  readonly summary: string;
  /**
   * Runs the command with the arguments after its name; resolves to the process exit code.
   * `['--help']` must print the command's help on stdout and resolve to 0 (`ringkit help <name>`).
   */
  run(argv: string[]): Promise<number>;
}

/** Every sub-command, by name, in the order `--help` lists them: one entry per command. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  'demo': () => import('./commands/demo.js'),
  'bench': () => import('./commands/bench.js'),
  'perf-test': () => import('./commands/perf-test.js'),
  'example': () => import('./commands/example.js'),
  'board': () => import('./commands/board.js'),
  'shm': () => import('./commands/shm.js'),
};

/** The version in this package's package.json (read, never hard-coded). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function usage(): Promise<string> {
  const summaries: [string, string][] = [];
  for (const [name, load] of Object.entries(COMMANDS)) summaries.push([name, (await load()).command.summary]);
  const width = Math.max(...summaries.map(([n]) => n.length));
  return [
    'Usage: ringkit <command> [options]',
    '',
    'Commands:',
    ...summaries.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Options:',
    '  -h, --help     show this help (`ringkit help <command>` shows one command\'s)',
    '  -V, --version  print the version',
    '',
    'Run `ringkit help <command>` or `ringkit <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Misuse: says why on stderr, then how to get help; exit code 2. */
function misuse(message: string): number {
  process.stderr.write(`ringkit: ${message}\nRun \`ringkit --help\` for the commands.\n`);
  return 2;
}

/** Entry point used by `bin/ringkit.js`; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(await usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(await usage());
    return 0;
  }
  if (name === '--version' || name === '-V' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === 'help') {
    if (rest.length > 1) return misuse(`help takes one command name: help ${rest.join(' ')}`);
    const load = COMMANDS[rest[0]!];
    if (load === undefined) return misuse(`no help for unknown command "${rest[0]}"; known commands: ${Object.keys(COMMANDS).join(', ')}`);
    return (await load()).command.run(['--help']);
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    return misuse(name.startsWith('-')
      ? `unknown option "${name}"; allowed before a command: --help, --version`
      : `unknown command "${name}"; known commands: ${Object.keys(COMMANDS).join(', ')}`);
  }
  return (await load()).command.run(rest);
}
