/**
 * Other load on the machine: benchmarks that spin are only as good as the cores they get, and a
 * shared machine lends its cores to other processes. This reads Linux's `/proc/stat` (elsewhere
 * it reports nothing) and subtracts this process's own CPU time, giving the cores other
 * processes used while a case ran.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second of `/proc/stat` (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

interface Sample {
  busySeconds: number;
  ownSeconds: number;
  wallMs: number;
}

function sample(): Sample | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  if (line === undefined || !line.startsWith('cpu ')) return undefined;
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  // Steal (time the hypervisor ran something else) is left out: it is not a process here, and a
  // VM exit per cross-core wake-up makes the benchmark itself cause it.
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
  const own = process.cpuUsage();
  return { busySeconds: busy / USER_HZ, ownSeconds: (own.user + own.system) / 1e6, wallMs: performance.now() };
}

/** Measures the cores other processes used between {@link start} and {@link stop}. */
export class LoadProbe {
  private first: Sample | undefined;

  /** Starts (or restarts) the interval. */
  start(): void {
    this.first = sample();
  }

  /** Cores used by other processes since {@link start} (0 … cores), or null where unknown. */
  stop(): number | null {
    const a = this.first;
    const b = sample();
    if (a === undefined || b === undefined || b.wallMs - a.wallMs < 20) return null;
    const other = (b.busySeconds - a.busySeconds) - (b.ownSeconds - a.ownSeconds);
    return Math.max(0, other / ((b.wallMs - a.wallMs) / 1000));
  }
}

/**
 * Waits until other processes use less than `threshold` cores (sampled over 250 ms), for at most
 * `maxMs`. @returns the last measured load (null where unknown).
 */
export async function settle(threshold: number, maxMs: number): Promise<number | null> {
  const probe = new LoadProbe();
  const deadline = Date.now() + maxMs;
  for (;;) {
    probe.start();
    await sleep(250);
    const load = probe.stop();
    if (load === null || load < threshold || Date.now() >= deadline) return load;
  }
}
