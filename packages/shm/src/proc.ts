import { readFileSync } from 'node:fs';

/**
 * Process identity from `/proc`: a pid plus its start time (field 22 of `/proc/<pid>/stat`,
 * clock ticks since boot), so that a pid the kernel has reused for a new process is not taken
 * for the old one.
 */

/** `/proc/<pid>/stat`'s fields from field 3 (state) on, or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Field 2 (the command) is in parentheses and may itself hold spaces or ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Start time of process `pid` (clock ticks since boot), or undefined when it does not exist. */
export function processStartTime(pid: number): number | undefined {
  const f = statFields(pid);
  return f === undefined ? undefined : Number(f[19]);
}

/**
 * True when the process recorded as (`pid`, `startTime`) still runs: it exists, is the same
 * process (same start time), and is not a zombie (killed but not yet reaped by its parent).
 */
export function processAlive(pid: number, startTime: number): boolean {
  const f = statFields(pid);
  if (f === undefined) return false;
  if (f[0] === 'Z' || f[0] === 'X' || f[0] === 'x') return false;
  return Number(f[19]) === startTime;
}

let self: number | undefined;

/** This process's start time (read once). */
export function ownStartTime(): number {
  return (self ??= processStartTime(process.pid) ?? 0);
}
