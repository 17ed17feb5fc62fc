/**
 * One randomized stress scenario, drawn from a seed (the same seed always draws the same
 * scenario, so a failure replays): which structure (typed Ring single/multi producer, ByteRing
 * single/multi producer, the RingBuffer facade, a SlotPool), its size and starting sequence (often
 * just below 2^31, so the run crosses the Int32 wrap), lossy mode and policy, eviction, the
 * consumer topology (broadcast, `after` chains and diamonds, work groups), every participant's
 * wait strategy, batch sizes and speed, who gets killed or stalled and where, and how the run ends
 * (drained, or closed while producers are busy).
 *
 * Never `busySpin`: the run has more threads than the machine has cores.
 */
import { mulberry32 } from '../fixtures/prng.js';
import type { Fate } from '../fixtures/stress-task.js';

export type StructureKind = 'ring' | 'byteRing' | 'ringBuffer' | 'slotPool';
export type Claim = 'add' | 'timeout' | 'try' | 'value';

export interface ProducerPlan {
  wait: 'phased' | 'async';
  claim: Claim;
  maxBatch: number;
  fate: Fate;
}

export interface NodePlan {
  kind: 'consumer' | 'group';
  /** Work groups: number of members. */
  members: number;
  /** Indices of earlier nodes this one runs after. */
  after: number[];
  wait: 'phased' | 'async';
  maxPoll: number;
  pauseEvery: number;
  pauseMs: number;
  fate: Fate;
  /** How a killed consumer is freed: evicted by a waiter after `evictAfterMs`, `ring.recover(owner)`, or RingBuffer `forget`. */
  recovery: 'evict' | 'recover' | 'forget';
  /** Typed rings: writes its mark column in place for the consumers after it to check. */
  marks: boolean;
  /** Byte rings: reads with the copying helpers. */
  copying: boolean;
}

export interface Scenario {
  seed: number;
  kind: StructureKind;
  multi: boolean;
  /** Typed: slots; byte ring: bytes; RingBuffer: slotCount; slot pool: capacity of the handle ring. */
  capacity: number;
  /** initialSequence (typed, handle ring) or initialPosition (byte ring). */
  initial: number;
  lossy: 'no' | 'error' | 'skip';
  evictAfterMs: number;
  /** Entries per producer; -1: until the ring is closed (close race). */
  perProducer: number;
  close: 'drain' | 'race';
  /** Close race: close (or stop the single producer) this long after the producers start. */
  raceAfterMs: number;
  producers: ProducerPlan[];
  /** A killed single producer: a new producer attaches and goes on (else the ring is closed). */
  replaceDeadProducer: boolean;
  nodes: NodePlan[];
  /** Longest byte record (byte ring, RingBuffer, slot pool). */
  maxLength: number;
  /** Typed: bytes of the tail field (0: none). */
  tail: number;
  /** Byte ring: maxBatch; RingBuffer / slot pool: slot bytes. */
  maxBatch: number;
  slotBytes: number;
  slotCount: number;
  whenFull: 'wait' | 'fail' | 'overwrite';
  abandonEvery: number;
  holdMs: number;
}

const LIVE: Fate = { kind: 'live', at: 0, where: 'between', stallMs: 0 };

/** Draws scenario `seed`. `messages` (optional) sets the entries published in all (else drawn: 20 k … 150 k for typed rings, less for the others). */
export function drawScenario(seed: number, messages?: number): Scenario {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(...xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const wait = (): 'phased' | 'async' => (chance(0.6) ? 'phased' : 'async');

  const kind = pick<StructureKind>('ring', 'ring', 'ring', 'ring', 'byteRing', 'byteRing', 'byteRing', 'ringBuffer', 'slotPool', 'slotPool');
  const typedLike = kind === 'ring' || kind === 'byteRing';
  const lossy = typedLike && chance(0.3) ? pick<'error' | 'skip'>('error', 'skip') : 'no';
  // Lossy multi-producer byte rings have a documented limit (docs/bytes.md: a producer stalled for a
  // lap between claim and commit writes over a newer record unseen): the harness keeps to the rest.
  const multi = kind === 'ringBuffer' ? true : kind === 'byteRing' && lossy !== 'no' ? false : chance(0.55);
  const producerCount = kind === 'ringBuffer' ? int(1, 3) : multi ? int(2, kind === 'ring' ? 4 : 3) : 1;
  const evictAfterMs = typedLike && chance(0.4) ? int(300, 900) : 0;
  const close = kind === 'ringBuffer' || kind === 'slotPool' ? 'drain' : chance(0.25) ? 'race' : 'drain';

  const capacity = kind === 'ring' ? 2 ** int(2, 10)
    : kind === 'byteRing' ? 2 ** int(8, 14)
      : kind === 'ringBuffer' ? int(1, 48)
        : 2 ** int(1, 6);
  const slotCount = int(1, 8);
  // Entries per scenario: fewer for the heavier structures and for tiny rings (many threads
  // taking turns on a few slots run at a few thousand entries a second on 2 cores).
  const scale = { ring: 1, byteRing: 0.4, ringBuffer: 0.1, slotPool: 0.05 }[kind];
  const tiny = kind === 'ring' ? Math.min(1, Math.max(0.15, capacity / 64)) : kind === 'byteRing' ? Math.min(1, capacity / 2048)
    : kind === 'slotPool' ? Math.max(0.25, slotCount / 8) : Math.min(1, Math.max(0.2, capacity / 16));
  const total = Math.max(producerCount * 50, Math.round((messages ?? int(20_000, 150_000) * scale * tiny)));
  const perProducer = close === 'race' && multi ? -1 : Math.ceil(total / producerCount);

  const maxLength = kind === 'byteRing' ? int(12, Math.min(capacity / 8 - 8, 600)) : int(12, 400);
  const frame = kind === 'byteRing' ? 8 + (12 + maxLength) / 2 + 4 : 1;
  // Often start just below 2^31 so the run crosses the Int32 wrap about half way through.
  const span = Math.max(64, Math.floor(total * frame * (0.2 + 0.6 * random())));
  let initial: number;
  if (kind === 'byteRing') initial = chance(0.5) ? 2 ** 31 - 8 * Math.ceil(span / 8) : chance(0.5) ? 0 : 8 * int(-(2 ** 27), 2 ** 27);
  else initial = chance(0.5) ? 2 ** 31 - 1 - span : chance(0.5) ? -1 : int(-(2 ** 31), 2 ** 31 - 1);

  const producers: ProducerPlan[] = [];
  const killProducer = (kind === 'ring' || kind === 'byteRing' || kind === 'ringBuffer') && chance(kind === 'ringBuffer' ? 0.15 : 0.25) ? int(0, producerCount - 1) : -1;
  for (let i = 0; i < producerCount; i++) {
    const claim = pick<Claim>('add', 'add', 'timeout', 'try', 'value');
    let fate = LIVE;
    if (i === killProducer) {
      const where = kind === 'ringBuffer' ? 'between' : claim === 'value' ? pick<'between' | 'random'>('between', 'random') : pick<'claimed' | 'between' | 'random'>('claimed', 'claimed', 'between', 'random');
      const at = perProducer > 0 ? int(Math.floor(perProducer * 0.1), Math.floor(perProducer * 0.7)) : int(100, 3000);
      fate = { kind: 'kill', at, where, stallMs: 0 };
    }
    producers.push({ wait: kind === 'ringBuffer' || kind === 'slotPool' ? 'phased' : wait(), claim, maxBatch: kind === 'ring' ? pick(1, 4, 16, 64, 256) : 1, fate });
  }

  const nodes: NodePlan[] = [];
  const nodeCount = kind === 'ring' ? int(1, 5) : kind === 'byteRing' ? int(1, 4) : kind === 'ringBuffer' ? int(1, 4) : int(1, 3);
  const killNode = typedLike || kind === 'ringBuffer' ? (chance(0.3) ? int(0, nodeCount - 1) : -1) : -1;
  const stallNode = kind !== 'slotPool' && chance(0.3) ? int(0, nodeCount - 1) : -1;
  const ringMax = kind === 'byteRing' ? 64 : kind === 'ring' ? capacity * 2 : 16;
  for (let i = 0; i < nodeCount; i++) {
    const group = kind === 'ring' && lossy === 'no' && chance(0.25);
    const after: number[] = [];
    if (typedLike && i > 0 && chance(0.45)) {
      for (let d = int(1, Math.min(2, i)); d > 0; d--) {
        const j = int(0, i - 1);
        if (!after.includes(j)) after.push(j);
      }
    }
    let fate = LIVE;
    let recovery: NodePlan['recovery'] = kind === 'ringBuffer' ? 'forget' : evictAfterMs > 0 && chance(0.5) ? 'evict' : 'recover';
    if (!group && i === killNode) {
      fate = { kind: 'kill', at: int(50, 5000), where: pick('holding', 'random'), stallMs: 0 };
    } else if (!group && i === stallNode) {
      const stallMs = evictAfterMs > 0 ? int(Math.ceil(evictAfterMs * 1.5), evictAfterMs * 3) : int(50, 400);
      fate = { kind: 'stall', at: int(50, 5000), where: pick('holding', 'between'), stallMs };
      recovery = 'evict';
    }
    nodes.push({
      kind: group ? 'group' : 'consumer',
      members: group ? int(1, 3) : 0,
      after,
      wait: wait(),
      maxPoll: int(1, ringMax),
      pauseEvery: chance(0.5) ? 0 : int(10, 200),
      pauseMs: int(1, 5),
      fate,
      recovery,
      marks: kind === 'ring' && lossy === 'no' && !group && fate.kind === 'live' && chance(0.5),
      copying: kind === 'byteRing' && !group && chance(0.25),
    });
  }

  const whenFull = pick<Scenario['whenFull']>('wait', 'fail', 'overwrite');
  return {
    seed, kind, multi, capacity, initial, lossy, evictAfterMs, perProducer, close,
    raceAfterMs: int(50, 600),
    producers,
    replaceDeadProducer: chance(0.5),
    nodes,
    maxLength,
    tail: kind === 'ring' && chance(0.5) ? pick(1, 7, 16, 33) : 0,
    maxBatch: int(1, 256),
    slotBytes: kind === 'ringBuffer' ? int(12, 512) : int(64, 2048),
    slotCount,
    whenFull,
    abandonEvery: kind === 'slotPool' && whenFull === 'overwrite' ? int(3, 30) : 0,
    holdMs: kind === 'slotPool' && chance(0.5) ? int(1, 20) : 0,
  };
}

/** One line saying what a scenario is (for the run's log and failure reports). */
export function describeScenario(s: Scenario): string {
  const mode = s.kind === 'ringBuffer' ? `${s.producers.length} writers, slotCount=${s.capacity}, slotBytes=${s.slotBytes}`
    : s.kind === 'slotPool' ? `${s.producers.length} producers, ${s.slotCount} slots of ${s.slotBytes} B, whenFull=${s.whenFull}, handle ring of ${s.capacity}`
      : `${s.multi ? 'multi' : 'single'} x${s.producers.length}, capacity=${s.capacity}${s.kind === 'byteRing' ? ' B' : ''}`;
  const fate = (f: Fate): string => (f.kind === 'live' ? '' : f.kind === 'kill' ? ` kill@${f.at}/${f.where}` : ` stall@${f.at}/${f.where} ${f.stallMs}ms`);
  const nodes = s.nodes.map((n, i) => {
    const base = n.kind === 'group' ? `g${i}x${n.members}` : `c${i}`;
    return `${base}${n.after.length > 0 ? `<${n.after.join('+')}` : ''}${n.marks ? ' marks' : ''}${n.copying ? ' copying' : ''}${fate(n.fate)}${n.fate.kind === 'kill' ? ` (${n.recovery})` : ''} ${n.wait}`;
  });
  const producers = s.producers.map((p, i) => `p${i} ${p.claim} ${p.wait}${fate(p.fate)}`);
  return [
    `${s.kind} ${mode}`,
    `initial=${s.initial}`,
    s.lossy !== 'no' ? `lossy=${s.lossy}` : '',
    s.evictAfterMs > 0 ? `evictAfterMs=${s.evictAfterMs}` : '',
    s.perProducer < 0 ? `close race after ${s.raceAfterMs} ms` : `${s.perProducer} per producer${s.close === 'race' ? `, stop after ${s.raceAfterMs} ms` : ''}`,
    `[${producers.join(', ')}]`,
    `[${nodes.join(', ')}]`,
  ].filter((x) => x !== '').join(' · ');
}
