import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { InvalidArgumentError, describe } from '@ringkit/core';
import { StreamMissingError } from './errors.js';
import { startCall } from './failure.js';

/** Limits of a stream the bridge creates when none captures its subject. */
export interface CreateStreamOptions {
  /** Stream name. Required. */
  name: string;
  /** Subjects it captures. Defaults to the bridge's subject. */
  subjects?: readonly string[];
  /** Most bytes kept (oldest discarded). Defaults to unlimited. */
  maxBytes?: number;
  /** Most messages kept. Defaults to unlimited. */
  maxMessages?: number;
  /** Oldest message age kept, ms. Defaults to unlimited. */
  maxAgeMs?: number;
  /** `'file'` or `'memory'`. Defaults to `'file'`. */
  storage?: 'file' | 'memory';
  /** The server's `Nats-Msg-Id` de-duplication window, ms. Defaults to 120000 (the server's default). */
  duplicateWindowMs?: number;
}

const NS_PER_MS = 1_000_000;

function limit(v: unknown, name: string): number {
  if (v === undefined) return -1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`createStream.${name} must be a positive integer: ${name}=${describe(v)}`);
  return v;
}

/** Checks {@link CreateStreamOptions}. @throws {@link InvalidArgumentError} naming the field. */
export function checkCreateStream(c: CreateStreamOptions | undefined): void {
  if (c === undefined) return;
  if (c === null || typeof c !== 'object') throw new InvalidArgumentError(`createStream must be an object { name, ... }: createStream=${describe(c)}`);
  if (typeof c.name !== 'string' || !/^[^\s.*>]+$/.test(c.name)) throw new InvalidArgumentError(`createStream.name must be a stream name (no spaces, '.', '*' or '>'): name=${describe(c.name)}`);
  limit(c.maxBytes, 'maxBytes');
  limit(c.maxMessages, 'maxMessages');
  limit(c.maxAgeMs, 'maxAgeMs');
  limit(c.duplicateWindowMs, 'duplicateWindowMs');
  if (c.storage !== undefined && c.storage !== 'file' && c.storage !== 'memory') throw new InvalidArgumentError(`createStream.storage must be 'file' or 'memory': storage=${describe(c.storage)}`);
}

/**
 * The name of the stream that captures `subject`, created with `create`'s limits when there
 * is none and `create` is given.
 * @throws {@link StreamMissingError} naming the server and subject otherwise.
 */
export async function streamFor(nc: NatsConnection, server: string, subject: string, create: CreateStreamOptions | undefined): Promise<{ stream: string; jsm: JetStreamManager }> {
  checkCreateStream(create);
  const jsm = await startCall(() => jetstreamManager(nc));
  try {
    return { stream: await startCall(() => jsm.streams.find(subject)), jsm };
  } catch (e) {
    if (create === undefined) {
      throw new StreamMissingError(server, subject, 'subject', e);
    }
  }
  const dupe = create.duplicateWindowMs === undefined ? undefined : create.duplicateWindowMs * NS_PER_MS;
  const age = limit(create.maxAgeMs, 'maxAgeMs');
  await startCall(() => jsm.streams.add({
    name: create.name,
    subjects: [...(create.subjects ?? [subject])],
    max_bytes: limit(create.maxBytes, 'maxBytes'),
    max_msgs: limit(create.maxMessages, 'maxMessages'),
    max_age: age < 0 ? 0 : age * NS_PER_MS,
    storage: create.storage === 'memory' ? StorageType.Memory : StorageType.File,
    ...(dupe === undefined ? {} : { duplicate_window: dupe }),
  })).catch(async (e: unknown) => {
    // Another process created it meanwhile (both parts of a split pipeline start at once).
    if (await jsm.streams.info(create.name).then(() => true, () => false)) return;
    throw e;
  });
  return { stream: create.name, jsm };
}

/**
 * Checks that the stream `name` exists.
 * @throws {@link StreamMissingError} naming the server and stream.
 */
export async function checkStream(jsm: JetStreamManager, server: string, name: string): Promise<void> {
  try {
    await startCall(() => jsm.streams.info(name));
  } catch (e) {
    throw new StreamMissingError(server, name, 'stream', e);
  }
}
