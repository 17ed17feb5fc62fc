/**
 * The stage thread's entry: runs every stage it was given (one, or the members of a troupe)
 * side by side on its event loop; each message names its stage's slot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StageBoot } from './context.js';
import { runStage } from './stage-runtime.js';

const port = parentPort!;
const { boots } = workerData as { boots: StageBoot[] };
for (const boot of boots) void runStage(boot, (m) => port.postMessage({ ...m, slot: boot.stageSlot }));
