/**
 * `Nats-Msg-Id` values: the server de-duplicates on them inside its duplicate window, and the
 * source reads the ring identity and the sequences back from them.
 *
 * | message              | Nats-Msg-Id                      |
 * |----------------------|----------------------------------|
 * | packed frame         | `<ringId>:<first>+<count>`       |
 * | one entry            | `<ringId>:<sequence>`            |
 * | end of ring (marker) | `<ringId>:end@<next sequence>`   |
 *
 * Sequences are decimal integers below 2^53. A ring identity may contain `:`; the last one
 * separates it from the sequence part.
 */

/** The id of a packed frame. */
export function frameId(ringId: string, first: number, count: number): string {
  return `${ringId}:${first}+${count}`;
}

/** The id of a single-entry message. */
export function entryId(ringId: string, sequence: number): string {
  return `${ringId}:${sequence}`;
}

/** The id of the end marker a sink sends after the ring closed. */
export function endId(ringId: string, next: number): string {
  return `${ringId}:end@${next}`;
}

/** What a `Nats-Msg-Id` written by a sink says; `sequence` is -1 for an end marker. */
export interface ParsedId {
  ringId: string;
  sequence: number;
  end: boolean;
}

/** Parses an id written by {@link frameId}, {@link entryId} or {@link endId}; false for any other. */
export function parseId(id: string | undefined, into: ParsedId): boolean {
  if (id === undefined || id === '') return false;
  const colon = id.lastIndexOf(':');
  if (colon <= 0) return false;
  const tail = id.slice(colon + 1);
  into.ringId = id.slice(0, colon);
  into.end = tail.startsWith('end@');
  const digits = into.end ? tail.slice(4) : tail.split('+', 1)[0]!;
  if (!/^-?\d+$/.test(digits)) return false;
  into.sequence = Number(digits);
  return Number.isSafeInteger(into.sequence);
}
