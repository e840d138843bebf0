// .debug_abbrev: the table of DIE shapes (tag, children flag, attribute/form pairs) each unit points to.
// Parsed once per table offset and shared by every unit using it. Fixed-size forms are summed up front so
// an indexer can skip a whole DIE's attributes in one step when none is variable-sized.
import { DW_FORM } from './constants.ts';
import { Reader } from './reader.ts';

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  attrs: number[];
  forms: number[];
  /** DW_FORM_implicit_const values, by attribute position. */
  implicit: (bigint | undefined)[];
  /** Total attribute bytes when every form has a fixed size for this unit shape, else -1. */
  fixedSize: number;
}

/** Size of a form's value when it is fixed for a given address size / offset size, else -1. */
export function fixedFormSize(form: number, addrSize: number, is64: boolean, version: number): number {
  switch (form) {
    case DW_FORM.flag_present:
    case DW_FORM.implicit_const:
      return 0;
    case DW_FORM.data1:
    case DW_FORM.ref1:
    case DW_FORM.flag:
    case DW_FORM.strx1:
    case DW_FORM.addrx1:
      return 1;
    case DW_FORM.data2:
    case DW_FORM.ref2:
    case DW_FORM.strx2:
    case DW_FORM.addrx2:
      return 2;
    case DW_FORM.strx3:
    case DW_FORM.addrx3:
      return 3;
    case DW_FORM.data4:
    case DW_FORM.ref4:
    case DW_FORM.ref_sup4:
    case DW_FORM.strx4:
    case DW_FORM.addrx4:
      return 4;
    case DW_FORM.data8:
    case DW_FORM.ref8:
    case DW_FORM.ref_sig8:
    case DW_FORM.ref_sup8:
      return 8;
    case DW_FORM.data16:
      return 16;
    case DW_FORM.addr:
      return addrSize;
    case DW_FORM.ref_addr:
      // DWARF 2 made ref_addr address-sized; later versions made it offset-sized.
      return version <= 2 ? addrSize : is64 ? 8 : 4;
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.sec_offset:
    case DW_FORM.strp_sup:
    case DW_FORM.GNU_ref_alt:
    case DW_FORM.GNU_strp_alt:
      return is64 ? 8 : 4;
    default:
      return -1;
  }
}

export class AbbrevTable {
  private readonly byCode = new Map<number, Abbrev>();
  /** Dense array for the usual case of codes 1..N. */
  private readonly dense: (Abbrev | undefined)[] = [];

  constructor(section: Uint8Array, offset: number, addrSize: number, is64: boolean, version: number) {
    const r = new Reader('.debug_abbrev', section, 0, offset);
    for (let guard = 0; guard < 1 << 20; guard++) {
      const code = r.uleb();
      if (code === 0) return;
      const tag = r.uleb();
      const hasChildren = r.u8() !== 0;
      const attrs: number[] = [];
      const forms: number[] = [];
      const implicit: (bigint | undefined)[] = [];
      let fixed = 0;
      for (let n = 0; ; n++) {
        if (n > 4096) r.fail('abbreviation with too many attributes');
        const at = r.uleb();
        const form = r.uleb();
        if (at === 0 && form === 0) break;
        attrs.push(at);
        forms.push(form);
        implicit.push(form === DW_FORM.implicit_const ? r.sleb() : undefined);
        const size = fixedFormSize(form, addrSize, is64, version);
        fixed = fixed < 0 || size < 0 ? -1 : fixed + size;
      }
      const a: Abbrev = { code, tag, hasChildren, attrs, forms, implicit, fixedSize: fixed };
      this.byCode.set(code, a);
      if (code < 100000) this.dense[code] = a;
    }
    r.fail('abbreviation table does not end');
  }

  get(code: number): Abbrev | undefined {
    return this.dense[code] ?? this.byCode.get(code);
  }
}
