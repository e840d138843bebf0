// A cursor over one DWARF section's bytes (or one unit of it): LEB128, fixed-size little-endian values, and
// 32/64-bit DWARF offsets. Every read is bounds-checked and fails with the section and offset.
import { CrashlensError } from '../../errors.ts';

export class DwarfError extends CrashlensError {
  override name = 'DwarfError';
  constructor(readonly section: string, readonly offset: number, message: string) {
    super(`${section}+0x${offset.toString(16)}: ${message}`);
  }
}

export class Reader {
  private readonly view: DataView;
  pos: number;

  /** `base` is the section offset of bytes[0], so errors and offsets name section positions. */
  constructor(readonly section: string, readonly bytes: Uint8Array, readonly base = 0, start = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(message: string): never {
    throw new DwarfError(this.section, this.offset, message);
  }

  need(n: number): void {
    if (this.pos + n > this.bytes.length) this.fail(`needs ${n} bytes, only ${this.bytes.length - this.pos} left`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.bytes[this.pos] | (this.bytes[this.pos + 1] << 8) | (this.bytes[this.pos + 2] << 16);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A u64 that must fit in a JS number (offsets, sizes). */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`value 0x${v.toString(16)} too large`);
    return Number(v);
  }

  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 63) this.fail('ULEB128 too long');
    }
  }

  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      if (shift > 70n) this.fail('ULEB128 too long');
    }
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (shift > 70n) this.fail('SLEB128 too long');
    } while (b & 0x80);
    if (b & 0x40) result -= 1n << shift;
    return BigInt.asIntN(64, result);
  }

  skipLeb(): void {
    for (let i = 0; i < 10; i++) if ((this.u8() & 0x80) === 0) return;
    this.fail('LEB128 too long');
  }

  /** A DWARF offset: 4 bytes in 32-bit DWARF, 8 in 64-bit. */
  offsetOf(is64: boolean): number {
    return is64 ? this.u64n() : this.u32();
  }

  /** A NUL-terminated string stored inline. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) this.fail('unterminated string');
    const s = latin1(this.bytes, this.pos, end);
    this.pos = end + 1;
    return s;
  }

  skipCString(): void {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) this.fail('unterminated string');
    this.pos = end + 1;
  }

  bytesN(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
