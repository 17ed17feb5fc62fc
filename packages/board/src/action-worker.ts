/**
 * Worker-thread entry that runs one action: imports `workerData.url`, calls the export with the
 * params and posts `{ ok, value | message }`. The board terminates the worker on timeout, so a
 * busy loop or a crash inside an action cannot stall or take down the server.
 */
import { parentPort, workerData } from 'node:worker_threads';

interface Job { url: string; exportName: string; params: Record<string, unknown> }

async function run(job: Job): Promise<void> {
  try {
    const mod = (await import(job.url)) as Record<string, unknown>;
    const fn = mod[job.exportName];
    if (typeof fn !== 'function') throw new TypeError(`export "${job.exportName}" of ${job.url} is not a function`);
    const value: unknown = await (fn as (p: Record<string, unknown>) => unknown)(job.params);
    try {
      parentPort?.postMessage({ ok: true, value });
    } catch {
      parentPort?.postMessage({ ok: true, value: String(value) });
    }
  } catch (e) {
    parentPort?.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
}

void run(workerData as Job);
