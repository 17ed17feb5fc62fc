/**
 * Running an action as a child process (the `command` and `python` action kinds): argv without a
 * shell, a text on stdin, stdout collected up to a limit, a timeout after which the process and
 * everything it started are killed. Never throws or rejects.
 */
import { spawn } from 'node:child_process';

/** One run of a program. */
export interface ProcessJob {
  /** The program and its arguments; run directly, never through a shell. */
  readonly argv: readonly string[];
  /** Working directory (the config directory). */
  readonly cwd: string;
  /** Written to the program's stdin, which is then closed. */
  readonly stdin: string;
  /** Milliseconds before the process group is killed. */
  readonly timeoutMs: number;
  /** Most bytes accepted on stdout; more kills the process. */
  readonly maxOutputBytes: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** How a run ended: its stdout, or why there is none. */
export type ProcessResult =
  | { readonly status: 'ok'; readonly stdout: string }
  | { readonly status: 'error' | 'timeout'; readonly message: string; readonly missing?: boolean };

/** Default stdout limit of process actions: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;

const STDERR_TAIL_BYTES = 2048;

/** The board's own secrets stay out of the environment of the programs it runs. */
function childEnv(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.RINGKIT_BOARD_TOKEN;
  return env;
}

/** Runs `job` and resolves with how it ended. */
export function runProcess(job: ProcessJob): Promise<ProcessResult> {
  return new Promise<ProcessResult>((resolve) => {
    const [program, ...args] = job.argv;
    let settled = false;
    const finish = (r: ProcessResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      // detached: the program leads its own process group, so a timeout kills what it started too.
      child = spawn(program!, args, { cwd: job.cwd, env: childEnv(job.env), shell: false, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      finish({ status: 'error', message: `cannot run ${JSON.stringify(program)}: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      kill();
      finish({ status: 'timeout', message: `timed out after ${job.timeoutMs} ms` });
    }, job.timeoutMs);
    const out: Buffer[] = [];
    let outBytes = 0;
    let errTail = Buffer.alloc(0);
    child.stdout!.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > job.maxOutputBytes) {
        kill();
        finish({ status: 'error', message: `wrote more than ${job.maxOutputBytes} bytes to stdout (maxOutputBytes=${job.maxOutputBytes})` });
        return;
      }
      out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      errTail = Buffer.concat([errTail, d]);
      if (errTail.length > STDERR_TAIL_BYTES) errTail = errTail.subarray(errTail.length - STDERR_TAIL_BYTES);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT';
      finish({ status: 'error', missing, message: missing ? `cannot run ${JSON.stringify(program)}: no such program (not found on PATH or at that path)` : `cannot run ${JSON.stringify(program)}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      if (code === 0) return finish({ status: 'ok', stdout: Buffer.concat(out).toString('utf8') });
      const err = errTail.toString('utf8').trim();
      finish({ status: 'error', message: `${signal ? `was killed by ${signal}` : `exited with code ${code}`}${err ? `: ${err.split('\n').slice(-5).join(' | ')}` : ''}` });
    });
    // A program that exits without reading stdin closes the pipe: that is its business.
    child.stdin!.on('error', () => {});
    child.stdin!.end(job.stdin);
  });
}
