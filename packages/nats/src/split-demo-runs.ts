/**
 * The runs of the split FizzBuzz demo: how a generator part and a worker part agree on which
 * run the worker counts, whatever order they start in and however often either restarts.
 *
 * Every generator part is one run with its own id. It purges the stream, then publishes a
 * start marker on `<prefix>.run` (JSON `{ "event": "start", "run": id }`), then its data with
 * ring identities `<prefix>.<ring>.<id>`. A worker part takes the run of the newest marker on
 * `<prefix>.run` when it is a start marker (a run no worker finished yet), else waits for one;
 * it reads that run from the start marker's stream sequence on, takes only that run's ring
 * identities, and publishes `{ "event": "done", "run": id, ... }` once it counted the run to its
 * end markers. A newer start marker while it counts (the generator part restarted) supersedes
 * the run: the worker drops its counts and starts over on the new run.
 *
 * | subject           | message                                          | written by            |
 * |-------------------|--------------------------------------------------|-----------------------|
 * | `<prefix>.run`    | `{"event":"start","run":"<id>"}`                 | generator, at start   |
 * | `<prefix>.run`    | `{"event":"done","run":"<id>","processed":n}`    | worker, after the end |
 * | `<prefix>.<ring>` | frames and end marker, ring id `<prefix>.<ring>.<id>` | generator's sinks |
 */
import { randomBytes } from 'node:crypto';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { sleep } from './options.js';

/** A marker on the run subject. */
export interface RunMarker {
  event: 'start' | 'done';
  run: string;
  processed?: number;
}

/** A run a worker can take: its id and the stream sequence of its start marker. */
export interface RunStart {
  run: string;
  sequence: number;
}

/** A new run id: the time in base 36 and 6 random hex digits (a valid ring identity and consumer name part). */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Publishes a run marker and waits for JetStream's acknowledgement; resolves with its stream sequence. */
export async function publishMarker(nc: NatsConnection, subject: string, marker: RunMarker): Promise<number> {
  const ack = await jetstream(nc).publish(subject, JSON.stringify(marker), { msgID: `${subject}:${marker.run}:${marker.event}` });
  return ack.seq;
}

/** The newest marker on `subject`: null when there is none, undefined when the server could not be asked (restarting). */
export async function lastMarker(jsm: JetStreamManager, stream: string, subject: string): Promise<{ marker: RunMarker; sequence: number } | null | undefined> {
  let m;
  try {
    m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  } catch {
    return undefined;
  }
  if (m === null) return null;
  try {
    const marker = m.json<RunMarker>();
    if ((marker.event === 'start' || marker.event === 'done') && typeof marker.run === 'string') return { marker, sequence: m.seq };
  } catch {
    // not a marker: as if there were none
  }
  return null;
}

/**
 * The run a worker takes: the newest marker's when it is a start marker; else (none, or the
 * newest run was done) waits, asking every `pollMs`, and calls `waiting` once. Resolves with
 * undefined when `signal` aborts.
 */
export async function nextRun(jsm: JetStreamManager, stream: string, subject: string, signal: AbortSignal, waiting: () => void, pollMs = 100): Promise<RunStart | undefined> {
  let told = false;
  while (!signal.aborted) {
    const m = await lastMarker(jsm, stream, subject);
    if (m?.marker.event === 'start') return { run: m.marker.run, sequence: m.sequence };
    if (!told) {
      told = true;
      waiting();
    }
    await sleep(pollMs, signal);
  }
  return undefined;
}

/**
 * Resolves once a marker of another run than `run` is the newest (the run is superseded): with
 * that run's start, or undefined when the newest is another run's done marker. Never resolves
 * after `signal` aborted.
 */
export async function supersededBy(jsm: JetStreamManager, stream: string, subject: string, run: string, signal: AbortSignal, pollMs = 200): Promise<RunStart | undefined> {
  for (;;) {
    await sleep(pollMs, signal);
    if (signal.aborted) return new Promise<never>(() => undefined);
    const m = await lastMarker(jsm, stream, subject);
    if (m === null || m === undefined || m.marker.run === run) continue;
    return m.marker.event === 'start' ? { run: m.marker.run, sequence: m.sequence } : undefined;
  }
}
