// Test helpers: unique segment names, child processes speaking JSON lines, and cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { Segment } from '@ringkit/shm';

/** The schema of the test rings: producer id and its running count. */
export const SCHEMA = { p: 'i32', k: 'i32' } as const;

export const CHILD = new URL('./child.js', import.meta.url).pathname;
const made: string[] = [];

/** A segment name no other test (or run) uses; removed by {@link cleanup}. */
export function uniqueName(tag: string): string {
  const n = `/rk-test-${tag}-${process.pid}-${made.length}-${Math.random().toString(16).slice(2, 8)}`;
  made.push(n);
  return n;
}

/** Removes every segment {@link uniqueName} handed out. */
export function cleanup(): void {
  for (const n of made) {
    try {
      Segment.unlink(n);
    } catch {
      // never created, or removed by the test
    }
  }
}

/** A child process running test/child.js `role` with `args`, its JSON events collected. */
export class Child {
  readonly proc: ChildProcess;
  readonly events: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(role: string, args: object, options: { uid?: number; gid?: number } = {}) {
    this.proc = spawn(process.execPath, [CHILD, role, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let buf = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.events.push({ event: 'text', line });
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0)) w();
      resolve({ code, signal });
    }));
  }

  /** Resolves with the first event named `name` (waits for it; rejects when the child exits first or after `ms`). */
  async event(name: string, ms = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const e = this.events.find((x) => x.event === name);
      if (e !== undefined) return e;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) before '${name}': ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no '${name}' from the child within ${ms} ms: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits for the exit and returns the result event (asserting exit code 0). */
  async result(ms = 60_000): Promise<Record<string, unknown>> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`child ${this.proc.spawnargs.slice(2).join(" ")} exited with ${code ?? signal}: ${this.stderr}`);
    return this.event('result', 0);
  }

  /** SIGKILL, then waits until it is gone (reaped). */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }
}

/** Kills every child still running (test teardown). */
export async function killAll(children: Child[]): Promise<void> {
  await Promise.all(children.map((c) => c.kill()));
}

/**
 * A child starter for one test file: every child it starts is killed (and the file's segments
 * removed) by the `after` hook it registers.
 */
export function childStarter(after: (fn: () => Promise<void>) => void): (role: string, args: object) => Child {
  const children: Child[] = [];
  after(async () => {
    await killAll(children);
    cleanup();
  });
  return (role, args) => {
    const c = new Child(role, args);
    children.push(c);
    return c;
  };
}
