/**
 * The steps of one recorded change of a slot (pools with `holders`), named so a crash test can
 * stop a participant at each: a slot's change is taken under its lock, journaled, applied to the
 * STATE word, then to the hold row, then the journal is cleared and the lock dropped. A test hook
 * (set with {@link setSlotPoolStepHook}) is called after each step; production code sets none
 * (one `undefined` check per step, only in pools with holders).
 */
export const SLOT_POOL_STEP = Object.freeze({
  /** The slot's lock is taken; nothing is journaled or changed yet. */
  locked: 0,
  /** The STATE word and hold word before the change are journaled; nothing is changed yet. */
  journaled: 1,
  /** The STATE word is changed; the hold row is not yet. */
  state: 2,
  /** The hold row is changed too; the journal is still there. */
  held: 3,
  /** The journal is cleared; the lock is still taken. */
  cleared: 4,
});

/** Which operation a step belongs to. */
export type SlotPoolOperation = 'allocate' | 'markReady' | 'acquire' | 'view' | 'release' | 'recover';

/** Called after each step of a recorded change: `step` is a {@link SLOT_POOL_STEP} value. */
export type SlotPoolStepHook = (operation: SlotPoolOperation, step: number, slot: number) => void;

let hook: SlotPoolStepHook | undefined;

/**
 * Test hook: `hook` is called after every step of every recorded slot change in this thread
 * (pools with `holders`), e.g. to block there while the process is killed, or to throw (the
 * change then stays half-done, as after a kill). `undefined` removes it. Not for production use.
 */
export function setSlotPoolStepHook(h: SlotPoolStepHook | undefined): void {
  hook = h;
}

/** Reports a step to the test hook, if one is set. */
export function slotPoolStep(operation: SlotPoolOperation, step: number, slot: number): void {
  if (hook !== undefined) hook(operation, step, slot);
}
