/**
 * Checks a loaded handler's shape against its stage's inputs, before any stage does real work:
 * a source needs `run`; a stage with typed inputs needs exactly one of `onBatch` / `onEntry`;
 * one with byte-record inputs one of `onBytes` / `onRecord`; `run` on a stage with inputs, or
 * an input handler without such an input, would never be called.
 */
import type { HandlerShape } from './context.js';
import { TopologyError } from './errors.js';
import { isByteOutput, type Plan, type PlannedStage } from './spec.js';

/** @throws {@link TopologyError} naming the stage and what its handler must implement. */
export function checkShape(plan: Plan, p: PlannedStage, shape: HandlerShape): void {
  const name = p.spec.name;
  const has = (m: string): boolean => shape.methods.includes(m);
  const list = shape.methods.length === 0 ? 'none' : shape.methods.join(', ');
  const fail = (why: string): never => {
    throw new TopologyError(`stage "${name}" (export "${p.spec.export ?? 'default'}" of ${p.moduleUrl}): ${why}; its handler has: ${list}`);
  };
  const byteInputs = p.inputs.filter((i) => isByteOutput(plan.byName.get(i.from)?.spec.output)).length;
  const typedInputs = p.inputs.length - byteInputs + (p.spec.selfInput === undefined ? 0 : 1);
  if (typedInputs + byteInputs === 0) {
    if (!has('run')) fail('it has no inputs, so its handler must implement run(ctx)');
    for (const m of ['onBatch', 'onEntry', 'onBytes', 'onRecord']) if (has(m)) fail(`it has no inputs, so ${m} would never be called (a source implements run(ctx))`);
    return;
  }
  if (has('run')) fail('it has inputs, so run(ctx) would never be called (implement onBatch or onEntry; put source loops in a stage without inputs)');
  if (typedInputs > 0) {
    if (!has('onBatch') && !has('onEntry')) fail('it has typed-ring inputs, so its handler must implement onBatch(batch, input, ctx) or onEntry(slot, input, ctx) (without one every entry would be discarded)');
    if (has('onBatch') && has('onEntry')) fail('implement onBatch or onEntry, not both');
  } else if (has('onBatch') || has('onEntry')) fail('its inputs are byte-record rings, so onBatch/onEntry would never be called (implement onBytes or onRecord)');
  if (byteInputs > 0) {
    if (!has('onBytes') && !has('onRecord')) fail('it has byte-record inputs, so its handler must implement onBytes(batch, input, ctx) or onRecord(value, input, ctx)');
    if (has('onBytes') && has('onRecord')) fail('implement onBytes or onRecord, not both');
  } else if (has('onBytes') || has('onRecord')) fail('it has no byte-record input, so onBytes/onRecord would never be called');
}
