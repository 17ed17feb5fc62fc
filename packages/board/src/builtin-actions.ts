/**
 * The demo actions of the packaged default board (the reference's four built-ins). Action
 * functions receive the button's `params` object and return `{status, message}` for the toast.
 * Imported by action workers as `@ringkit/board/actions`.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Greets `params.name` (default "User"). */
export function greetUser(params: { name?: unknown }): { status: string; message: string } {
  const name = typeof params.name === 'string' ? params.name : 'User';
  return { status: 'success', message: `Hello, ${name}! This greeting action was successfully triggered.` };
}

/** Returns the server's local time as ISO-8601 with offset. */
export function logCurrentTime(): { status: string; timestamp: string; message: string } {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const pad = (n: number, w = 2): string => String(Math.trunc(Math.abs(n))).padStart(w, '0');
  const timestamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
  return { status: 'success', timestamp, message: `Current server time: ${timestamp}` };
}

/** Waits `params.duration` seconds (default 1), then reports it. */
export async function exampleAsync(params: { duration?: unknown }): Promise<{ status: string; message: string; duration: number }> {
  const duration = typeof params.duration === 'number' && params.duration >= 0 ? params.duration : 1;
  await delay(duration * 1000);
  return { status: 'success', message: `Async action completed after ${duration}s.`, duration };
}

/** Reports success. */
export function anotherAction(): { status: string; message: string } {
  return { status: 'success', message: "The 'another_action' was performed successfully!" };
}

/** Spins the CPU for `params.ms` milliseconds (default 200): shows that sync work runs off the server's thread. */
export function busyWork(params: { ms?: unknown }): { status: string; message: string } {
  const ms = typeof params.ms === 'number' ? params.ms : 200;
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return { status: 'success', message: `Busy for ${ms} ms (${n} iterations).` };
}

/** Always throws (for trying the error toast). */
export function failingAction(): never {
  throw new Error('this action always fails');
}

// actionboard's names of the demo actions, so a config written for it (`function:
// greet_user_action`) finds them here too.
export { greetUser as greet_user_action, logCurrentTime as log_current_time_action, exampleAsync as example_async_action, anotherAction as another_action };
