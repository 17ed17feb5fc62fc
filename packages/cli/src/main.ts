/**
 * The `ringkit` command line. Each sub-command lives in `commands/<name>.ts` and exports a
 * {@link Command}; this file only dispatches. Commands are imported lazily so `ringkit --help`
 * stays fast and a command's dependencies load only when it runs.
 */
export interface Command {
  /** One line shown by `ringkit --help`. */
  readonly summary: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Every sub-command, by name, in the order `--help` lists them. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  'demo': () => import('./commands/demo.js'),
  'bench': () => import('./commands/bench.js'),
  'perf-test': () => import('./commands/perf-test.js'),
  'example': () => import('./commands/example.js'),
  'board': () => import('./commands/board.js'),
};

function usage(summaries: [string, string][]): string {
  const width = Math.max(...summaries.map(([n]) => n.length));
  return [
    'Usage: ringkit <command> [options]',
    '',
    'Commands:',
    ...summaries.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'Run `ringkit <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Entry point used by `bin/ringkit.js`. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const summaries: [string, string][] = [];
    for (const [n, load] of Object.entries(COMMANDS)) summaries.push([n, (await load()).command.summary]);
    process.stdout.write(usage(summaries));
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    process.stderr.write(`ringkit: unknown command "${name}"; known commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  return (await load()).command.run(rest);
}
