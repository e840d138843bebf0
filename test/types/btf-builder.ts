// Builds BTF blobs in code for tests: each add* appends one record and returns its type id.

export class BtfBuilder {
  private readonly words: number[] = [];
  private readonly strings: number[] = [0];
  private readonly strOffsets = new Map<string, number>();
  private nextId = 1;

  str(s: string): number {
    if (s === '') return 0;
    const hit = this.strOffsets.get(s);
    if (hit !== undefined) return hit;
    const off = this.strings.length;
    for (const c of s) this.strings.push(c.charCodeAt(0));
    this.strings.push(0);
    this.strOffsets.set(s, off);
    return off;
  }

  private rec(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, extra: number[] = []): number {
    this.words.push(this.str(name), ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType, ...extra);
    return this.nextId++;
  }

  int(name: string, size: number, encoding = 0, bits = size * 8, offset = 0): number {
    return this.rec(name, 1, 0, false, size, [(encoding << 24) | (offset << 16) | bits]);
  }
  ptr(target: number): number {
    return this.rec('', 2, 0, false, target);
  }
  array(elem: number, index: number, n: number): number {
    return this.rec('', 3, 0, false, 0, [elem, index, n]);
  }
  /** members: [name, type, bitOffset, bitSize?]; kflag set when any bitSize is given. */
  struct(name: string, size: number, members: [string, number, number, number?][], union = false): number {
    const kflag = members.some((m) => m[3] !== undefined);
    const extra = members.flatMap(([n, t, off, bits]) => [this.str(n), t, kflag ? ((bits ?? 0) << 24) | off : off]);
    return this.rec(name, union ? 5 : 4, members.length, kflag, size, extra);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    return this.rec(name, 6, values.length, signed, size, values.flatMap(([n, v]) => [this.str(n), v >>> 0]));
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    return this.rec(
      name,
      19,
      values.length,
      signed,
      size,
      values.flatMap(([n, v]) => {
        const u = BigInt.asUintN(64, v);
        return [this.str(n), Number(u & 0xffffffffn), Number(u >> 32n)];
      }),
    );
  }
  fwd(name: string, union = false): number {
    return this.rec(name, 7, 0, union, 0);
  }
  typedef(name: string, t: number): number {
    return this.rec(name, 8, 0, false, t);
  }
  volatile(t: number): number {
    return this.rec('', 9, 0, false, t);
  }
  const(t: number): number {
    return this.rec('', 10, 0, false, t);
  }
  restrict(t: number): number {
    return this.rec('', 11, 0, false, t);
  }
  func(name: string, proto: number, linkage = 1): number {
    return this.rec(name, 12, linkage, false, proto);
  }
  /** params: [name, type]; a final ['', 0] makes it variadic. */
  proto(ret: number, params: [string, number][]): number {
    return this.rec('', 13, params.length, false, ret, params.flatMap(([n, t]) => [this.str(n), t]));
  }
  var(name: string, t: number, linkage = 1): number {
    return this.rec(name, 14, 0, false, t, [linkage]);
  }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.rec(name, 15, vars.length, false, size, vars.flat());
  }
  float(name: string, size: number): number {
    return this.rec(name, 16, 0, false, size);
  }
  declTag(name: string, target: number, component: number): number {
    return this.rec(name, 17, 0, false, target, [component >>> 0]);
  }
  typeTag(name: string, t: number): number {
    return this.rec(name, 18, 0, false, t);
  }
  /** A raw record, for corrupt-input tests. */
  raw(words: number[]): number {
    this.words.push(...words);
    return this.nextId++;
  }

  build(): Uint8Array {
    const typeLen = this.words.length * 4;
    const strLen = this.strings.length;
    const out = new Uint8Array(24 + typeLen + strLen);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true);
    out[2] = 1;
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, strLen, true);
    this.words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
    out.set(this.strings, 24 + typeLen);
    return out;
  }
}
