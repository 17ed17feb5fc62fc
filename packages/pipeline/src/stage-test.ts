/**
 * The stage test harness: drives one stage — in its own worker thread, through real rings, under
 * the real harness — with scripted input batches, and collects what it published and what its
 * `close()` returned. Nothing to hand-build: each scripted input is a source stage named like
 * the input, the output is read by a main-thread tap.
 */
import { POLL_CLOSED, type Schema } from '@ringkit/core';
import { codecOf } from './codecs.js';
import { Pipeline } from './pipeline.js';
import { isByteOutput, type ByteRingSpec, type CodecName, type RingSpec, type StageSpec } from './spec.js';
import type { FailurePolicy } from './policy.js';

/** One scripted input: typed batches of entries, or batches of byte-record values. */
export type ScriptedInput =
  | { schema: Schema; batches: Array<Array<Record<string, number | bigint | Uint8Array>>> }
  | { codec?: CodecName; records: unknown[][] };

/** Options of {@link testStage}. */
export interface StageTestOptions {
  module: string | URL;
  export?: string;
  options?: unknown;
  /** Inputs by producer name (the stage sees `input.from` = that name). */
  inputs?: Record<string, ScriptedInput>;
  output?: RingSpec | ByteRingSpec;
  maxBatch?: number;
  onFailure?: FailurePolicy;
  maxRetries?: number;
  /** Drain budget, ms. Defaults to 10,000. */
  timeoutMs?: number;
}

/** What {@link testStage} resolves to. */
export interface StageTestResult {
  /** Typed output: one object per entry (field → value; bytes fields copied). Byte output: the decoded records (raw: `Uint8Array` copies). */
  output: unknown[];
  /** The stage's `close()` result. */
  result: unknown;
  /** Its telemetry at the end: batches and entries handled, batch errors, skipped, retried, restarts. */
  stats: { batches: number; entries: number; batchErrors: number; skipped: number; retried: number; restarts: number };
}

function pow2AtLeast(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

/** Runs one stage on scripted batches; resolves once it drained them, closed, and its output was read. */
export async function testStage(o: StageTestOptions): Promise<StageTestResult> {
  const sources: StageSpec[] = [];
  const here = new URL('./stage-test-source.js', import.meta.url);
  for (const [from, input] of Object.entries(o.inputs ?? {})) {
    if ('schema' in input) {
      const most = Math.max(1, ...input.batches.map((b) => b.length));
      sources.push({ name: from, module: here, export: 'scripted', options: { batches: input.batches }, output: { schema: input.schema, capacity: pow2AtLeast(most) } });
    } else {
      const bytes = pow2AtLeast(1 << 20);
      sources.push({ name: from, module: here, export: 'scripted', options: { records: input.records }, output: { bytes, codec: input.codec ?? 'json' } });
    }
  }
  const name = 'stage';
  const stage: StageSpec = {
    name, module: o.module, export: o.export, options: o.options, output: o.output, maxBatch: o.maxBatch, onFailure: o.onFailure, maxRetries: o.maxRetries,
    inputs: sources.map((s) => ({ from: s.name })),
  };
  const p = new Pipeline({ stopTimeoutMs: o.timeoutMs ?? 10_000, levels: sources.length > 0 ? [{ stages: sources }, { stages: [stage] }] : [{ stages: [stage] }] });
  const output: unknown[] = [];
  let reading: Promise<void> = Promise.resolve();
  if (o.output !== undefined && !isByteOutput(o.output)) {
    const tap = p.tap(name);
    const ring = p.output(name);
    const cols = ring.columns as Record<string, ArrayLike<number | bigint> & { subarray?: (a: number, b: number) => Uint8Array }>;
    const fields = Object.entries(ring.schema as Schema);
    reading = (async () => {
      for (;;) {
        const n = await tap.pollAsync();
        if (n === POLL_CLOSED) return;
        for (let i = 0; i < n; i++) {
          const s = tap.batch.index(i);
          const e: Record<string, unknown> = {};
          for (const [f, t] of fields) e[f] = typeof t === 'string' ? cols[f]![s] : cols[f]!.subarray!(s * t.length, (s + 1) * t.length).slice();
          output.push(e);
        }
        tap.release();
      }
    })();
  } else if (o.output !== undefined) {
    const reader = p.tapBytes(name);
    const codec = await codecOf(o.output.codec ?? 'json');
    reading = (async () => {
      for (;;) {
        const n = await reader.pollAsync();
        if (n === POLL_CLOSED) return;
        for (let i = 0; i < n; i++) output.push(codec === undefined ? reader.batch.copy(i) : codec.decode(reader.batch.record(i)));
        reader.release();
      }
    })();
  }
  await p.start();
  const r = await p.stop();
  await reading;
  const s = p.snapshot().stages.find((x) => x.name === name)!;
  return {
    output,
    result: r.results[name],
    stats: { batches: s.batches, entries: s.entries, batchErrors: s.batchErrors, skipped: s.skipped, retried: s.retried, restarts: s.restarts },
  };
}
