// ptov must print what crash 8.0.6 prints (captured vectors, on a dump whose direct map is randomized), and
// its direct-map base must agree on every fixture with crash's vtop of init_task.
import { describe, expect, it } from 'vitest';
import { allDumps } from '../helpers/fixtures.ts';
import { fixtureCommand, lines, sessionFor, vectors } from './vectors/crash-vectors.ts';

describe('ptov matches crash on the captured vectors', () => {
  for (const v of vectors('ptov')) {
    it(`${v.dump.scenario}/${v.dump.name}: ${v.command}`, () => {
      expect(lines(sessionFor(v.dump).run(v.command).output)).toEqual(lines(v.expected));
    });
  }
});

describe('ptov inverts the direct map on every fixture', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'vtop-init_task.txt');
    it.skipIf(!ref)(`${d.scenario}/${d.name}`, () => {
      // crash's vtop gives init_task's physical address; its direct-map alias must read the same bytes.
      const paddr = /^\S+\s+(\S+)/m.exec(ref!.expected.split('\n')[1])![1];
      const s = sessionFor(d);
      const out = s.run(`ptov ${paddr}`).output.split('\n');
      expect(out[0].trimEnd()).toBe('VIRTUAL           PHYSICAL');
      const vaddr = out[1].split(/\s+/)[0];
      expect(out[1].split(/\s+/)[1]).toBe(paddr);
      const text = ref!.command.split(' ')[1];
      const viaText = s.run(`rd -x ${text} 4`).output.split('\n').map((l) => l.slice(18));
      const viaMap = s.run(`rd -x ${vaddr} 4`).output.split('\n').map((l) => l.slice(18));
      expect(viaMap).toEqual(viaText);
    });
  }
});

describe('ptov errors', () => {
  it('offset:cpuspec is not supported yet and says so', () => {
    const d = allDumps().find((x) => x.scenario === 't-tiny-la57')!;
    const r = sessionFor(d).run('ptov 10:0');
    expect(r.failed).toBe(true);
    expect(r.output).toMatch(/^ptov: 10:0: per-cpu offsets need/);
  });
});
