/**
 * `defineStage`: a handler whose inputs, output columns and options are typed from their
 * schemas. The definition names each input by the stage it comes from with that stage's output
 * schema; `input.from` then narrows `input.ring.columns` to that schema's typed arrays,
 * `ctx.output.columns` is typed from `output`, and `ctx.options` is what `options` parses.
 * At run time the same definition is checked against the rings the stage really got (a
 * mismatch is a `TopologyError` at `start()`, naming the stage).
 */
import { encodeSchema, resolveSchema, type Batch, type Producer, type Ring, type Schema } from '@ringkit/core';
import type { BatchErrorAction, BatchErrorInfo, ByteStageInput, StageContext, StageHandler, StageInput } from './context.js';
import type { ByteBatch } from '@ringkit/core';
import type { InputSpec } from './spec.js';

/** Inputs of a typed stage: producer stage name → its output schema. */
export type InputsSpec = Readonly<Record<string, Schema>>;

/** One typed input: `from` is the literal stage name, so checking it narrows `ring` and `consumer`. */
export type TypedInput<I extends InputsSpec> = { [K in keyof I & string]: StageInput<I[K]> & { readonly from: K } }[keyof I & string];

/** What a typed batch handler is called with: a declared input, or the self input (typed by `selfInput`). */
export type AnyTypedInput<I extends InputsSpec, SI extends Schema | undefined> = TypedInput<I> | (SI extends Schema ? StageInput<SI> : never);

/** Parses the spec's raw `options` (a function, or anything with `parse`, e.g. a zod schema). */
export type OptionsParser<O> = ((raw: unknown) => O) | { parse(raw: unknown): O };

/** The context of a typed stage. */
export interface TypedContext<I extends InputsSpec, S extends Schema | undefined, O, SI extends Schema | undefined = undefined> extends Omit<StageContext<O>, 'inputs' | 'output' | 'producer' | 'selfInput'> {
  readonly inputs: ReadonlyArray<TypedInput<I>>;
  /** The self input, typed from the definition's `selfInput` (undefined without one). */
  readonly selfInput: SI extends Schema ? StageInput<SI> : undefined;
  /** The output ring, typed from the definition's `output` (undefined without one). */
  readonly output: S extends Schema ? Ring<S> : undefined;
  readonly producer: S extends Schema ? Producer<S> : undefined;
}

/** The handler of a typed stage (the same methods as {@link StageHandler}, typed). */
export interface TypedHandler<I extends InputsSpec, S extends Schema | undefined, O, SI extends Schema | undefined = undefined> {
  init?(ctx: TypedContext<I, S, O, SI>): void | Promise<void>;
  run?(ctx: TypedContext<I, S, O, SI>): void | Promise<void>;
  onBatch?(batch: Batch<I[keyof I]> | (SI extends Schema ? Batch<SI> : never), input: AnyTypedInput<I, SI>, ctx: TypedContext<I, S, O, SI>): void | Promise<void>;
  /** Per entry; an async `onEntry` is awaited entry by entry, in order. */
  onEntry?(slot: number, input: AnyTypedInput<I, SI>, ctx: TypedContext<I, S, O, SI>): void | Promise<void>;
  /** Byte-record inputs: the raw batch (records are views valid until it returns). */
  onBytes?(batch: ByteBatch, input: ByteStageInput, ctx: TypedContext<I, S, O, SI>): void | Promise<void>;
  /** Byte-record inputs: one decoded value per record. */
  onRecord?(value: unknown, input: ByteStageInput, ctx: TypedContext<I, S, O, SI>): void | Promise<void>;
  onError?(error: unknown, info: BatchErrorInfo, ctx: TypedContext<I, S, O, SI>): BatchErrorAction | Promise<BatchErrorAction>;
  canStop?(ctx: TypedContext<I, S, O, SI>): boolean;
  close?(ctx: TypedContext<I, S, O, SI>): unknown;
}

/** What {@link defineStage} takes. */
export interface TypedStageDefinition<I extends InputsSpec, S extends Schema | undefined, O, SI extends Schema | undefined = undefined> {
  inputs?: I;
  output?: S;
  /** The schema of the stage's `selfInput` ring. */
  selfInput?: SI;
  options?: OptionsParser<O>;
}

/** A typed stage: export it from the handler module (it is a handler factory). */
export interface DefinedStage<I extends InputsSpec, S extends Schema | undefined, O, SI extends Schema | undefined = undefined> {
  (ctx: StageContext): Promise<StageHandler>;
  /** The definition (schemas and options parser). */
  readonly definition: TypedStageDefinition<I, S, O, SI>;
  /** `inputs` for the pipeline spec: `[{ from, schema }]` (the planner checks each schema against its producer). */
  inputSpecs(): InputSpec[];
}

function parseOptions<O>(parser: OptionsParser<O> | undefined, raw: unknown): O {
  if (parser === undefined) return raw as O;
  return typeof parser === 'function' ? parser(raw) : parser.parse(raw);
}

/**
 * Defines a typed stage.
 *
 * ```ts
 * export const worker = defineStage({
 *   inputs: { generator: { value: 'f64' } },
 *   output: { msg: 'f64' },
 *   options: (raw) => ({ scale: Number((raw as { scale?: number } | undefined)?.scale ?? 1) }),
 * }, (ctx) => ({
 *   async onBatch(batch, input) {
 *     const src = input.ring.columns.value;            // Float64Array, no cast
 *     const hi = await ctx.producer.claimAsync(batch.count);
 *     for (let i = 0; i < batch.count; i++) ctx.output.columns.msg[(ctx.producer.lo + i) & ctx.output.mask] = src[batch.index(i)]! * ctx.options.scale;
 *     ctx.producer.publish(hi);
 *   },
 * }));
 * ```
 * @param factory called once per stage thread with the typed context; returns the handler.
 */
export function defineStage<const I extends InputsSpec = Record<never, Schema>, const S extends Schema | undefined = undefined, O = unknown, const SI extends Schema | undefined = undefined>(
  definition: TypedStageDefinition<I, S, O, SI>,
  factory: (ctx: TypedContext<I, S, O, SI>) => TypedHandler<I, S, O, SI> | Promise<TypedHandler<I, S, O, SI>>,
): DefinedStage<I, S, O, SI> {
  const make = async (ctx: StageContext): Promise<StageHandler> => {
    const declared = definition.inputs ?? {};
    for (const [from, schema] of Object.entries(declared)) {
      const got = ctx.inputs.find((i) => i.from === from);
      if (got === undefined) throw new TypeError(`defineStage: input "${from}" is declared but the stage has no typed input from "${from}" (it has: ${ctx.inputs.map((i) => i.from).join(', ') || 'none'})`);
      const want = encodeSchema(resolveSchema(schema));
      const have = encodeSchema(resolveSchema(got.ring.schema));
      if (want !== have) throw new TypeError(`defineStage: input "${from}" is declared {${want}} but its ring is {${have}}`);
    }
    for (const i of ctx.inputs) if (!(i.from in declared)) throw new TypeError(`defineStage: the stage has an input from "${i.from}" that its definition does not declare (declared: ${Object.keys(declared).join(', ') || 'none'})`);
    if (definition.output !== undefined) {
      if (ctx.output === undefined) throw new TypeError('defineStage: an output schema is declared but the stage has no typed output ring');
      const want = encodeSchema(resolveSchema(definition.output));
      const have = encodeSchema(resolveSchema(ctx.output.schema));
      if (want !== have) throw new TypeError(`defineStage: output is declared {${want}} but the stage's output ring is {${have}}`);
    }
    if (definition.selfInput !== undefined) {
      if (ctx.selfInput === undefined) throw new TypeError('defineStage: a selfInput schema is declared but the stage has no selfInput ring');
      const want = encodeSchema(resolveSchema(definition.selfInput));
      const have = encodeSchema(resolveSchema(ctx.selfInput.ring.schema));
      if (want !== have) throw new TypeError(`defineStage: selfInput is declared {${want}} but the stage's self input is {${have}}`);
    }
    const options = parseOptions(definition.options, ctx.options);
    const typed = Object.create(ctx, { options: { value: options, enumerable: true } }) as TypedContext<I, S, O, SI>;
    const h = await factory(typed);
    // The harness calls every method with the untyped context: hand the typed one instead.
    const out: Record<string, unknown> = {};
    for (const m of ['init', 'run', 'onBatch', 'onEntry', 'onBytes', 'onRecord', 'onError', 'canStop', 'close'] as const) {
      const f = h[m] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof f !== 'function') continue;
      const ctxAt = m === 'init' || m === 'run' || m === 'canStop' || m === 'close' ? 0 : 2;
      out[m] = ctxAt === 0 ? () => f.call(h, typed) : (a: unknown, b: unknown) => f.call(h, a, b, typed);
    }
    return out as StageHandler;
  };
  const stage = make as DefinedStage<I, S, O, SI>;
  Object.defineProperty(stage, 'definition', { value: definition, enumerable: true });
  Object.defineProperty(stage, 'inputSpecs', { value: (): InputSpec[] => Object.entries(definition.inputs ?? {}).map(([from, schema]) => ({ from, schema })) });
  return stage;
}
