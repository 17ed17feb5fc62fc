/**
 * The live progress line every long-running command shows on stderr: rewritten in place
 * (`\r` + erase to end of line) on a terminal that takes escape sequences, else one plain line
 * per update. `NO_COLOR` (any non-empty value, see no-color.org) and `TERM=dumb` turn the escape
 * sequences off, as does output to a pipe or file.
 */
export class StatusLine {
  /** True when updates rewrite one line in place; false when each update is its own line. */
  readonly inPlace: boolean;
  private open = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env) {
    this.inPlace = out.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
  }

  /** Shows `text` as the current status. */
  update(text: string): void {
    if (this.inPlace) {
      this.out.write(`\r${text}\x1b[K`);
      this.open = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  /** Ends an in-place line with a newline, so what follows starts on its own line. */
  end(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}
