// With no vmlinux, types come from the BTF in the dump: they must agree with the vmlinux's DWARF on every
// member offset, bit field and size of every struct and union BTF has.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { ElfFile } from '../../src/debuginfo/elf.ts';
import { DwarfIndex } from '../../src/debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../../src/debuginfo/dwarf/sections.ts';
import { DwarfTypes } from '../../src/debuginfo/dwarf/types.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { type Member, strip, typeName } from '../../src/types/type.ts';
import { requireDebianVmlinuxInCi } from '../helpers/debian-vmlinux.ts';
import { fixture } from '../helpers/fixtures.ts';

const vmlinux = requireDebianVmlinuxInCi();

describe.skipIf(!vmlinux)('BTF from the dump against DWARF from the vmlinux (Debian 6.1)', () => {
  let session: Session;
  let dwarf: DwarfTypes;
  beforeAll(() => {
    loadWasmNode();
    session = Session.open([NodeFileSource.open(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump').path)]);
    dwarf = new DwarfTypes(DwarfIndex.build(new DwarfSections(new ElfFile(NodeFileSource.open(vmlinux!)))));
  });

  it('every struct and union: same size, same members at the same bit offsets and widths', () => {
    const btf = session.btf!;
    expect(btf).toBeDefined();
    let composites = 0;
    let members = 0;
    const differences: string[] = [];
    const missing: string[] = [];
    const flatten = (ms: readonly Member[], base: number, out: string[], depth = 0): void => {
      for (const m of ms) {
        const s = strip(m.type);
        if (m.name === undefined && (s.kind === 'struct' || s.kind === 'union') && depth < 8) flatten(s.members, base + m.bitOffset, out, depth + 1);
        else out.push(`${m.name}@${base + m.bitOffset}:${m.bitSize}`);
      }
    };
    for (const spec of btf.tagNames()) {
      if (spec.startsWith('enum ')) continue;
      const b = strip(btf.findType(spec)!);
      if ((b.kind !== 'struct' && b.kind !== 'union') || !b.complete) continue;
      const candidates = dwarf.findAllTypes(spec).map(strip);
      if (candidates.length === 0) {
        // Types defined inside a function body are not in the name index (it covers file scope).
        missing.push(spec);
        continue;
      }
      composites++;
      const bm: string[] = [];
      flatten(b.members, 0, bm);
      members += bm.length;
      // Static types of separate files can share a name: BTF keeps one of them, so one must match.
      const match = candidates.find((ds) => {
        if (ds.kind !== b.kind || ds.size !== b.size) return false;
        const dm: string[] = [];
        flatten(ds.members, 0, dm);
        return bm.join(' ') === dm.join(' ');
      });
      if (!match) differences.push(`${spec}: no DWARF definition (of ${candidates.length}) has the same size and members`);
      else if (b.members.length < 50) for (let i = 0; i < b.members.length; i++) typeName(b.members[i].type);
    }
    expect(differences.slice(0, 10)).toEqual([]);
    // Only function-local types may be missing, and they are rare.
    expect(missing.length, missing.slice(0, 20).join(', ')).toBeLessThan(composites / 100);
    expect(composites).toBeGreaterThan(5000);
    expect(members).toBeGreaterThan(40000);
  });
});
