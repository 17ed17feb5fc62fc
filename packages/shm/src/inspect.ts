import { kindName, MAX_PROCESSES, SegmentHeader, VERSION, type SegmentKind } from './header.js';
import { processAlive } from './proc.js';
import { ProcessTable } from './process-table.js';
import { Segment } from './segment.js';

/** One segment as `ringkit shm ls` shows it. */
export interface SegmentInfo {
  /** Name with its leading slash. */
  readonly name: string;
  /** What it holds; `'foreign'` for a segment that is not ringkit's, `'creating'` while its creator has not finished. */
  readonly kind: SegmentKind | 'foreign' | 'creating';
  /** Bytes of the segment. */
  readonly size: number;
  /** Slots (ring, pool, facade) or bytes (byte ring); 0 when unknown. */
  readonly capacity: number;
  /** Attached processes that run, and those that are gone (not yet recovered). */
  readonly alive: number;
  readonly dead: number;
  /** Milliseconds since it was created (for foreign segments: since last modified). */
  readonly ageMs: number;
  /** True when it can be removed safely: a ringkit segment with no live process attached (and no live creator still creating it). */
  readonly stale: boolean;
}

/** Reads segment `name`'s header and process table. Returns undefined when it vanished meanwhile. */
export function inspectSegment(name: string, mtimeMs = Date.now()): SegmentInfo | undefined {
  let seg: Segment;
  try {
    seg = Segment.open(name);
  } catch {
    return undefined;
  }
  const base = { name: seg.name, size: seg.size };
  if (seg.size < 4096) return { ...base, kind: 'foreign', capacity: 0, alive: 0, dead: 0, ageMs: Date.now() - mtimeMs, stale: false };
  const h = new SegmentHeader(seg.buffer);
  if (!h.magicOk) return { ...base, kind: 'foreign', capacity: 0, alive: 0, dead: 0, ageMs: Date.now() - mtimeMs, stale: false };
  if (!h.ready) {
    const creatorAlive = h.creatorPid !== 0 && processAlive(h.creatorPid, h.creatorStart);
    return { ...base, kind: 'creating', capacity: h.capacity, alive: creatorAlive ? 1 : 0, dead: creatorAlive ? 0 : 1, ageMs: Date.now() - (h.createdMs || mtimeMs), stale: !creatorAlive && Date.now() - mtimeMs > 2000 };
  }
  if (h.u32[1] !== VERSION || !(h.maxProcesses >= 1 && h.maxProcesses <= MAX_PROCESSES)) {
    // another layout version: its table cannot be read; never taken for stale
    return { ...base, kind: kindName(h.kind) ?? 'foreign', capacity: h.capacity, alive: 0, dead: 0, ageMs: Date.now() - h.createdMs, stale: false };
  }
  const entries = new ProcessTable(seg.buffer, h.maxProcesses, seg.name).entries();
  const alive = entries.filter((e) => e.alive).length;
  return {
    ...base, kind: kindName(h.kind) ?? 'foreign', capacity: h.capacity, alive, dead: entries.length - alive,
    ageMs: Date.now() - h.createdMs, stale: alive === 0,
  };
}

/** Every segment in `/dev/shm`, ringkit's with their kind and processes. */
export function listSegments(): SegmentInfo[] {
  const out: SegmentInfo[] = [];
  for (const s of Segment.list()) {
    const info = inspectSegment(s.name, s.mtimeMs);
    if (info !== undefined) out.push(info);
  }
  return out;
}

/** Removes every stale ringkit segment (never one with a live process, never a foreign one); returns their names. */
export function cleanSegments(): string[] {
  const removed: string[] = [];
  for (const info of listSegments()) {
    if (!info.stale) continue;
    // Look again right before removing: a process may have attached since the listing.
    const again = inspectSegment(info.name);
    if (again === undefined || !again.stale) continue;
    try {
      Segment.unlink(info.name);
      removed.push(info.name);
    } catch {
      // removed meanwhile
    }
  }
  return removed;
}
