import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../../model/btf.js';
import { Kind } from '../../format/kinds.js';
import { BtfkitError } from '../../errors.js';
import { CEmitter, bpftoolCOrder, dumpC } from '../c.js';
import { bpftoolDumpOrder, bpftoolDumpPlan } from './sort.js';
import { flatten } from './flat.js';

/** mulberry32: a small seeded PRNG, so a failure names a reproducible seed. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

const info = (kind: number, vlen: number, kflag = false): number => ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;

/**
 * A random BTF of `n` types built from raw records, so references may point forward and form
 * cycles: pointers and modifiers, typedefs (of void, FWDs, ...), named and anonymous structs,
 * unions and enums, FWDs, arrays, prototypes, FUNCs, VARs and decl tags, with a small pool of
 * names so that names repeat.
 */
function randomBtf(seed: number, n: number, withInts: boolean): Btf {
  const r = rng(seed);
  const b = Btf.create();
  const names = ['', '', 'a', 'b', 'foo'];
  const name = (required: boolean): number => {
    const s = names[required ? 2 + r(3) : r(names.length)]!;
    return s ? b.addStr(s) : 0;
  };
  // Mostly backward references (as in real BTF); some forward ones, which may form loops.
  const ref = (): number => (r(8) === 0 ? r(n + 1) : r(b.typeCount()));
  if (withInts) {
    b.addInt('int', 4, 1);
    b.addInt('char', 1, 1);
  }
  const kinds = [Kind.PTR, Kind.PTR, Kind.CONST, Kind.VOLATILE, Kind.TYPEDEF, Kind.TYPEDEF, Kind.STRUCT, Kind.STRUCT, Kind.UNION,
    Kind.ENUM, Kind.FWD, Kind.ARRAY, Kind.FUNC_PROTO, Kind.FUNC, Kind.VAR, Kind.DECL_TAG, Kind.TYPE_TAG];
  while (b.typeCount() <= n) {
    const k = kinds[r(kinds.length)]!;
    switch (k) {
      case Kind.PTR: case Kind.CONST: case Kind.VOLATILE:
        b.addRecord([0, info(k, 0), ref()]);
        break;
      case Kind.TYPEDEF: case Kind.TYPE_TAG:
        b.addRecord([name(true), info(k, 0), ref()]);
        break;
      case Kind.STRUCT: case Kind.UNION: {
        const vlen = r(3);
        const rec = [name(false), info(k, vlen), 8 * Math.max(1, vlen)];
        for (let i = 0; i < vlen; i++) rec.push(r(2) ? b.addStr(`m${i}`) : 0, ref(), k === Kind.STRUCT ? 64 * i : 0);
        b.addRecord(rec);
        break;
      }
      case Kind.ENUM: {
        const vlen = 1 + r(2);
        const rec = [name(false), info(k, vlen), 4];
        for (let i = 0; i < vlen; i++) rec.push(b.addStr(['X', 'Y', 'Z'][r(3)]!), i);
        b.addRecord(rec);
        break;
      }
      case Kind.FWD:
        b.addRecord([name(true), info(k, 0, r(2) === 1), 0]);
        break;
      case Kind.ARRAY:
        b.addRecord([0, info(k, 0), 0, ref(), withInts ? 1 : 0, r(3)]);
        break;
      case Kind.FUNC_PROTO: {
        const vlen = r(3);
        const rec = [0, info(k, vlen), ref()];
        for (let i = 0; i < vlen; i++) rec.push(name(false), ref() || 1);
        b.addRecord(rec);
        break;
      }
      case Kind.FUNC:
        b.addRecord([name(true), info(k, 0), ref()]);
        break;
      case Kind.VAR:
        b.addRecord([name(true), info(k, 0), ref(), 0]);
        break;
      case Kind.DECL_TAG:
        b.addRecord([name(true), info(k, 0), ref(), 0xffffffff]);
        break;
    }
  }
  return b;
}

/**
 * What `run` writes, or the errno it throws. (On a reference loop, the full sort and the
 * emitter may each be the first to find it: same errno, different message.)
 */
function outcome(run: () => string): string {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof BtfkitError)) throw e;
    return `error ${e.errno}`;
  }
}

const KFUNCS_AND_EPILOGUE = /\n\/\* BPF kfuncs \*\/\n[^]*$/;

test('dumpC = every call of bpftool\'s sorted sequence (settled tail ids left out), on 3000 random BTFs', () => {
  let nonTrivialTails = 0;
  let errors = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const b = randomBtf(seed, 8 + (seed % 24), seed % 10 !== 0);
    const full = outcome(() => {
      const em = new CEmitter(b);
      for (const id of bpftoolCOrder(b)) em.dumpType(id);
      return em.outputText();
    });
    const fast = outcome(() => {
      const text = new TextDecoder().decode(dumpC(b));
      // dumpC adds bpftool's preamble (up to the first blank line after the macros) and kfunc section.
      return text.slice(text.indexOf('#endif\n#endif\n\n') + 15).replace(KFUNCS_AND_EPILOGUE, '');
    });
    assert.equal(fast, full, `seed ${seed}`);
    if (full.startsWith('error')) errors++;
    // The plan's tail really is filtered: some tail ids settled, some not.
    const em = new CEmitter(b);
    let plan: ReturnType<typeof bpftoolDumpPlan>;
    try {
      plan = bpftoolDumpPlan(em.flat);
      for (const id of plan.head) em.dumpType(id);
    } catch {
      continue;
    }
    const live = em.unsettled(plan.tail).length;
    if (live > 0 && live < plan.tail.length) nonTrivialTails++;
  }
  console.log(`${nonTrivialTails} partly settled tails, ${errors} errors`);
  assert.ok(nonTrivialTails > 500, `only ${nonTrivialTails} BTFs had a partly settled tail`);
  assert.ok(errors > 10 && errors < 1000, `${errors} BTFs failed to dump (cycles)`);
});

test('bpftoolDumpOrder: the full order minus inert ids, head (ranked) before tail', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const b = randomBtf(seed, 20, seed % 10 !== 0);
    const f = flatten(b);
    let order: Uint32Array;
    try {
      order = bpftoolDumpOrder(f);
    } catch {
      continue; // a reference loop (ELOOP), as in the sort itself
    }
    const full = [...bpftoolCOrder(b)];
    // The order is the full sequence with VOID and some FUNC/VAR/DATASEC/DECL_TAG ids left out.
    let j = 0;
    for (const id of full) {
      if (j < order.length && order[j] === id) j++;
      else assert.ok([0, Kind.FUNC, Kind.VAR, Kind.DATASEC, Kind.DECL_TAG].includes(f.K[id] as never), `seed ${seed}: id ${id} (kind ${f.K[id]}) left out`);
    }
    assert.equal(j, order.length, `seed ${seed}`);
    const plan = bpftoolDumpPlan(f);
    assert.deepEqual([...order], [...plan.head, ...plan.sortTail(plan.tail)], `seed ${seed}`);
  }
});

test('CEmitter.unsettled: what a dump after the ranked types can still change', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1); // 1
  const s = b.addStruct('s', 4); // 2
  b.addField('v', int, 0);
  const ps = b.addPtr(s); // 3: settled once s is ordered
  const cps = b.addConst(ps); // 4: settled
  const pv = b.addPtr(0); // 5: settled (void is ORDERED from the start)
  const fwd = b.addFwd('f', 'struct'); // 6: named FWD: dumping it declares it
  const pf = b.addPtr(fwd); // 7: not settled (reaches the FWD)
  const anon = b.addStruct(null, 8); // 8: anonymous, members settled: settled
  b.addField('p', ps, 0);
  const anon2 = b.addStruct(null, 8); // 9: anonymous with a member reaching the FWD
  b.addField('q', pf, 0);
  const td = b.addTypedef('vp_t', pv); // 10: typedef not emitted yet: not settled
  const proto = b.addFuncProto(int); // 11: settled (int and ps)
  b.addFuncParam('x', ps);
  const fn = b.addFunc('fn', 0, proto); // 12: FUNC: first order returns 0, later 1: not settled
  const pfn = b.addPtr(fn); // 13
  const em = new CEmitter(b);
  em.dumpType(s);
  em.dumpType(int);
  assert.deepEqual([...em.unsettled(Uint32Array.from([ps, cps, pv, fwd, pf, anon, anon2, td, proto, fn, pfn]))], [fwd, pf, anon2, td, fn, pfn]);
  // Dumping what is unsettled settles it.
  for (const id of [fwd, td, fn]) em.dumpType(id);
  assert.deepEqual([...em.unsettled(Uint32Array.from([pf, anon2, td, pfn]))], []);
  assert.match(em.outputText(), /struct f;\n\ntypedef void \*vp_t;\n\n$/);
});
