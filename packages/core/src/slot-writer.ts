import { InvalidArgumentError } from './errors.js';
import { describe, type Entry, type ResolvedField, type Schema } from './schema.js';
import { copyBytes } from './copy.js';

/**
 * Writes one entry given as a value (one-field schemas) or an object (any schema) into a slot:
 * the convenience path of `tryPublishValue`. Hot paths write the columns directly instead.
 */
export class SlotWriter<S extends Schema> {
  private readonly fields: readonly ResolvedField[];
  private readonly columns: readonly ArrayBufferView[];
  private readonly mask: number;

  constructor(fields: readonly ResolvedField[], columns: readonly ArrayBufferView[], mask: number) {
    this.fields = fields;
    this.columns = columns;
    this.mask = mask;
  }

  /**
   * Checks that `value` fits the schema, before anything is claimed: a claimed slot must always
   * be published, so a bad value has to be refused first.
   * @throws {@link InvalidArgumentError} naming the field.
   */
  check(value: unknown): void {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) {
      if (this.fields.length !== 1) {
        throw new InvalidArgumentError(`this ring's schema has ${this.fields.length} fields; pass an object with one value per field: value=${describe(value)}`);
      }
      this.checkField(0, value);
      return;
    }
    for (let f = 0; f < this.fields.length; f++) this.checkField(f, (value as Record<string, unknown>)[this.fields[f]!.name]);
  }

  /** Writes a value that passed {@link check} into the slot of sequence `seq`. */
  write(seq: number, value: number | bigint | Entry<S>): void {
    const index = seq & this.mask;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) {
      this.writeField(0, index, value);
      return;
    }
    for (let f = 0; f < this.fields.length; f++) this.writeField(f, index, (value as Record<string, unknown>)[this.fields[f]!.name]);
  }

  private checkField(f: number, v: unknown): void {
    const field = this.fields[f]!;
    if (v === undefined) throw new InvalidArgumentError(`missing field "${field.name}" in the value`);
    if (typeof field.type !== 'string') {
      if (!(v instanceof Uint8Array) || v.length > field.bytesPerEntry) {
        throw new InvalidArgumentError(`field "${field.name}" takes a Uint8Array of at most ${field.bytesPerEntry} bytes: value=${describe(v)}`);
      }
    } else if (field.type === 'i64' || field.type === 'u64') {
      if (typeof v !== 'bigint') throw new InvalidArgumentError(`field "${field.name}" (${field.type}) takes a bigint: value=${describe(v)}`);
    } else if (typeof v !== 'number') {
      throw new InvalidArgumentError(`field "${field.name}" (${field.type}) takes a number: value=${describe(v)}`);
    }
  }

  private writeField(f: number, index: number, v: unknown): void {
    const field = this.fields[f]!;
    const column = this.columns[f]!;
    if (typeof field.type !== 'string') {
      const bytes = column as Uint8Array;
      const value = v as Uint8Array;
      copyBytes(bytes, index * field.bytesPerEntry, value);
      bytes.fill(0, index * field.bytesPerEntry + value.length, (index + 1) * field.bytesPerEntry);
    } else if (field.type === 'i64' || field.type === 'u64') {
      (column as BigInt64Array)[index] = v as bigint;
    } else {
      (column as Float64Array)[index] = v as number;
    }
  }
}
