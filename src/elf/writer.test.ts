/**
 * Writer tests: identity rewrites, growing/shrinking/adding sections on every fixture class
 * and byte order, segment and overlap refusals, SHN_XINDEX escapes, and (when binutils are
 * installed) readelf/objcopy checks plus a section-by-section comparison with objcopy's own
 * output for the same operation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseElf,
  rewriteElf,
  rewriteElfParts,
  concatBytes,
  ElfFile,
  type ElfChanges,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  SHT_GROUP,
  SHN_XINDEX,
  PT_LOAD,
} from './index.js';
import { buildElf } from './synth.js';
import { PatchedOutput } from './output.js';
import { isBtfkitError } from '../errors.js';
import { cacheDir } from '../testing/fixtures.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/elf/', import.meta.url));
const load = (name: string) => new Uint8Array(readFileSync(FIXTURES + name));
const OBJECTS = ['elf64le.o', 'elf32le.o', 'elf64be.o', 'elf32be.o', 'btf64le.o'];
const ALL = [...OBJECTS, 'exec64le.elf'];

const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function isElfError(code: string, fragment: RegExp) {
  return (e: unknown) => {
    assert.ok(isBtfkitError(e), `expected a BtfkitError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, fragment);
    return true;
  };
}

function headerFields(s: ElfFile['sections'][number]) {
  return { name: s.name, nameOffset: s.nameOffset, type: s.type, flags: s.flags, addr: s.addr, link: s.link, info: s.info, addralign: s.addralign, entsize: s.entsize };
}

/** Every section of `a` is in `b` at the same index with the same header; untouched ones keep offset, size and bytes. */
function assertUntouchedSame(a: ElfFile, b: ElfFile, changed: Set<string>, compareSymbols = true) {
  assert.ok(b.sections.length >= a.sections.length);
  for (const s of a.sections) {
    const t = b.sections[s.index]!;
    assert.deepEqual(headerFields(t), headerFields(s), `section ${s.index} ${s.name} header`);
    if (changed.has(s.name) || s.index === a.shstrndx) continue;
    assert.equal(t.offset, s.offset, `${s.name} offset`);
    assert.equal(t.size, s.size, `${s.name} size`);
    assert.deepEqual(b.sectionData(t), a.sectionData(s), `${s.name} data`);
  }
  assert.deepEqual(b.programHeaders, a.programHeaders);
  const { shoff: _a, shnum: _b, ...ha } = a.header;
  const { shoff: _c, shnum: _d, ...hb } = b.header;
  assert.deepEqual(hb, ha);
  if (compareSymbols) assert.deepEqual(b.symbols(), a.symbols());
  assert.deepEqual(b.relocationSections().map((r) => [r.section.index, r.target, r.symtab]), a.relocationSections().map((r) => [r.section.index, r.target, r.symtab]));
}

test('identity: replacing any section with its own bytes gives a byte-identical file', () => {
  for (const file of ALL) {
    const bytes = load(file);
    const elf = parseElf(bytes);
    for (const s of elf.sections) {
      if (s.index === 0 || s.type === SHT_NOBITS || s.index === elf.shstrndx) continue;
      const out = rewriteElf(elf, { replace: new Map([[s.name, elf.sectionData(s)]]) });
      assert.deepEqual(out, bytes, `${file}: ${s.name}`);
    }
    assert.deepEqual(rewriteElf(elf, {}), bytes, `${file}: no change`);
  }
});

/** The operation used throughout: grow (or create) .BTF, add .BTF.base (alloc) and .BTF_ids.extra. */
function growAndAdd(elf: ElfFile) {
  const hasBtf = elf.section('.BTF') !== undefined;
  const newBtf = bytesOf((elf.section('.BTF')?.size ?? 0) + 1000, 1);
  const base = bytesOf(301, 2);
  const ids = bytesOf(24, 3);
  const replace = new Map<string, Uint8Array>([['.BTF_ids', ids]]);
  const add = [{ name: '.BTF.base', data: base, flags: SHF_ALLOC }];
  if (hasBtf) replace.set('.BTF', newBtf);
  else add.unshift({ name: '.BTF', data: newBtf, flags: 0 });
  return { replace, add, newBtf, base, ids };
}

test('grow + add on every class and byte order: untouched sections stay, changed ones move to the end', () => {
  for (const file of OBJECTS) {
    const bytes = load(file);
    const elf = parseElf(bytes);
    const { replace, add, newBtf, base, ids } = growAndAdd(elf);
    const out = parseElf(rewriteElf(elf, { replace, add }));
    assertUntouchedSame(elf, out, new Set(replace.keys()));
    assert.equal(out.sections.length, elf.sections.length + add.length);
    assert.deepEqual(out.sectionData(out.requireSection('.BTF')), newBtf);
    assert.deepEqual(out.sectionData(out.requireSection('.BTF.base')), base);
    assert.deepEqual(out.sectionData(out.requireSection('.BTF_ids')), ids);
    // Grown sections sit past every untouched one, at their alignment.
    const keptEnd = Math.max(...elf.sections.filter((s) => s.type !== SHT_NOBITS && !replace.has(s.name) && s.index !== elf.shstrndx).map((s) => s.offset + s.size));
    for (const name of [...replace.keys(), '.BTF.base']) {
      const s = out.requireSection(name);
      assert.ok(s.offset >= keptEnd, `${file}: ${name} at end`);
      assert.equal(s.offset % Math.max(1, s.addralign), 0, `${file}: ${name} aligned`);
    }
    const added = out.requireSection('.BTF.base');
    assert.deepEqual(
      { type: added.type, flags: added.flags, addr: added.addr, addralign: added.addralign, entsize: added.entsize, link: added.link, info: added.info, index: added.index },
      { type: SHT_PROGBITS, flags: SHF_ALLOC, addr: 0n, addralign: 1, entsize: 0, link: 0, info: 0, index: out.sections.length - 1 },
    );
    // New names are appended to the old section-name table.
    const oldNames = elf.sectionData(elf.sections[elf.shstrndx]!);
    const newNames = out.sectionData(out.sections[out.shstrndx]!);
    assert.deepEqual(newNames.subarray(0, oldNames.length), oldNames);
    assert.equal(out.header.shoff % (elf.is64 ? 8 : 4), 0);
  }
});

test('trailing data after the ELF data: dropped by default, kept on request', () => {
  for (const file of ALL) {
    const orig = load(file);
    const sig = new TextEncoder().encode('PKCS#7 blob ~Module signature appended~\n');
    const bytes = new Uint8Array(orig.length + sig.length);
    bytes.set(orig);
    bytes.set(sig, orig.length);
    const elf = parseElf(bytes);
    assert.equal(elf.elfEnd, orig.length, file);
    assert.deepEqual(rewriteElf(elf, {}), orig, file);
    assert.deepEqual(rewriteElf(elf, { keepTrailingData: true }), bytes, file);
    const grown = rewriteElf(elf, { add: [{ name: '.BTF.base', data: bytesOf(33, 1) }], keepTrailingData: true });
    assert.deepEqual(grown.subarray(grown.length - sig.length), sig);
    const again = parseElf(grown);
    assert.deepEqual(again.sectionData(again.requireSection('.BTF.base')), bytesOf(33, 1));
    assert.equal(again.elfEnd, grown.length - sig.length);
  }
});

test('vmlinux (ET_EXEC, 65 MB): identity with its trailing relocation table, .BTF cannot grow, sections can be added', (t) => {
  const path = ['vmlinux-6.1.0-47-amd64', 'vmlinux-6.1.0-55-amd64'].map((n) => join(cacheDir(), 'vmlinux', n)).find((p) => existsSync(p));
  if (!path) return t.skip('no vmlinux');
  const bytes = new Uint8Array(readFileSync(path));
  const elf = parseElf(bytes);
  const btf = elf.requireSection('.BTF');
  const same = rewriteElf(elf, { replace: new Map([['.BTF', elf.sectionData(btf)]]), keepTrailingData: true });
  assert.ok(same.length === bytes.length && Buffer.compare(Buffer.from(same.buffer, same.byteOffset, same.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)) === 0);
  assert.throws(() => rewriteElf(elf, { replace: new Map([['.BTF', new Uint8Array(btf.size + 1)]]) }), isElfError('ELF', /'\.BTF' at offset \d+ lies in segment 0; its size can't change/));
  const out = parseElf(rewriteElf(elf, { add: [{ name: '.BTF.base', data: bytesOf(100, 1) }] }));
  assert.deepEqual(out.programHeaders, elf.programHeaders);
  assert.equal(out.requireSection('.BTF.base').index, elf.sections.length);
});

test('shrinking a section rewrites it in place and zeroes the rest of its room', () => {
  for (const file of OBJECTS) {
    const bytes = load(file);
    const elf = parseElf(bytes);
    const old = elf.requireSection('.BTF_ids');
    const outBytes = rewriteElf(elf, { replace: new Map([['.BTF_ids', Uint8Array.of(9, 8, 7, 6)]]) });
    assert.equal(outBytes.length, bytes.length);
    const out = parseElf(outBytes);
    const s = out.requireSection('.BTF_ids');
    assert.equal(s.offset, old.offset);
    assert.equal(s.size, 4);
    assert.deepEqual([...outBytes.subarray(old.offset, old.offset + old.size)], [9, 8, 7, 6, ...new Array(old.size - 4).fill(0)]);
    assertUntouchedSame(elf, out, new Set(['.BTF_ids']));
  }
});

test('refusals: missing section, SHT_NOBITS, existing name, section-name table, bad new-section fields', () => {
  const elf = parseElf(load('elf64le.o'));
  const d = new Uint8Array(4);
  assert.throws(() => rewriteElf(elf, { replace: new Map([['.nope', d]]) }), isElfError('ELF_NO_SECTION', /\.nope.*not found/));
  assert.throws(() => rewriteElf(elf, { replace: new Map([['.bss', d]]) }), isElfError('ELF', /\.bss.*no contents/));
  assert.throws(() => rewriteElf(elf, { replace: new Map([['.shstrtab', d]]) }), isElfError('ELF', /section name table/));
  assert.throws(() => rewriteElf(elf, { add: [{ name: '.text', data: d }] }), isElfError('ELF', /can't add section '\.text'/));
  assert.throws(() => rewriteElf(elf, { add: [{ name: '.x', data: d }, { name: '.x', data: d }] }), isElfError('ELF', /already exists/));
  assert.throws(() => rewriteElf(elf, { add: [{ name: '', data: d }] }), isElfError('ELF', /invalid name/));
  assert.throws(() => rewriteElf(elf, { add: [{ name: '.y', data: d, align: 3 }] }), isElfError('ELF', /not a power of two/));
  assert.throws(() => rewriteElf(elf, { add: [{ name: '.y', data: d, type: SHT_NOBITS }] }), isElfError('ELF', /NOBITS/));
  assert.throws(() => rewriteElf(elf, { add: [{ name: '.y', data: d, flags: -1 }] }), isElfError('ELF', /bad flags/));
});

test('executable: sections inside a segment keep their size; additions are appended outside segments', () => {
  const bytes = load('exec64le.elf');
  const elf = parseElf(bytes);
  assert.ok(elf.programHeaders.some((p) => p.type === PT_LOAD));
  assert.throws(
    () => rewriteElf(elf, { replace: new Map([['.text', new Uint8Array(64)]]) }),
    isElfError('ELF', /\.text.*segment 0.*size can't change/),
  );
  assert.throws(
    () => rewriteElf(elf, { replace: new Map([['.eh_frame', new Uint8Array(4)]]) }),
    isElfError('ELF', /segment/),
  );
  // Same size in a segment is fine.
  const text = bytesOf(elf.requireSection('.text').size, 5);
  const same = parseElf(rewriteElf(elf, { replace: new Map([['.text', text]]) }));
  assert.deepEqual(same.sectionData(same.requireSection('.text')), text);
  // Adding and growing a non-allocated section (not in any segment) works.
  const sym = elf.sectionData(elf.requireSection('.symtab'));
  const grown = new Uint8Array(sym.length + 24);
  grown.set(sym);
  const out = parseElf(rewriteElf(elf, { replace: new Map([['.symtab', grown]]), add: [{ name: '.BTF', data: bytesOf(100, 4) }] }));
  assertUntouchedSame(elf, out, new Set(['.symtab']), false);
  for (const p of out.programHeaders) {
    for (const n of ['.BTF', '.symtab']) {
      const s = out.requireSection(n);
      assert.ok(p.filesz === 0 || s.offset >= p.offset + p.filesz || s.offset + s.size <= p.offset, `${n} outside segment ${p.index}`);
    }
  }
  assert.equal(out.symbols().length, elf.symbols().length + 1);
});

test('overlapping sections cannot be rewritten', () => {
  const r = buildElf({
    class: 64,
    littleEndian: true,
    sections: [
      { name: '.a', type: SHT_PROGBITS, data: bytesOf(32, 1) },
      { name: '.b', type: SHT_PROGBITS, data: bytesOf(32, 2) },
    ],
  });
  const bytes = r.bytes.slice();
  // Make .b start in the middle of .a.
  new DataView(bytes.buffer).setBigUint64(r.shoff + 2 * 64 + 24, BigInt(r.offsets[1]! + 16), true);
  const elf = parseElf(bytes);
  assert.throws(() => rewriteElf(elf, { replace: new Map([['.a', new Uint8Array(40)]]) }), isElfError('ELF', /'\.a'.*overlaps section '\.b'/));
  assert.throws(() => rewriteElf(elf, { replace: new Map([['.b', new Uint8Array(8)]]) }), isElfError('ELF', /'\.b'.*overlaps section '\.a'/));
  // A section over the ELF header.
  new DataView(bytes.buffer).setBigUint64(r.shoff + 2 * 64 + 24, 0n, true);
  assert.throws(() => rewriteElf(parseElf(bytes), { replace: new Map([['.b', new Uint8Array(8)]]) }), isElfError('ELF', /overlaps the ELF header/));
});

test('section count escapes: kept when present, introduced when the count reaches 0xff00', () => {
  for (const cls of [32, 64] as const) {
    for (const le of [true, false]) {
      // Already escaped.
      const many = Array.from({ length: 0xff05 }, () => ({ name: '.s', type: SHT_PROGBITS, data: new Uint8Array(0) }));
      const r = buildElf({ class: cls, littleEndian: le, escapeShnum: true, escapeShstrndx: true, sections: many });
      const elf = parseElf(r.bytes);
      const out = parseElf(rewriteElf(elf, { add: [{ name: '.BTF', data: bytesOf(10, 1) }] }));
      assert.equal(out.header.shnum, 0);
      assert.equal(out.header.shstrndx, SHN_XINDEX);
      assert.equal(out.sections.length, elf.sections.length + 1);
      assert.equal(out.shstrndx, elf.shstrndx);
      assert.deepEqual(out.sectionData(out.requireSection('.BTF')), bytesOf(10, 1));
      // Not escaped yet: 0xfefe sections + 2 added = 0xff00 -> e_shnum must become 0.
      const few = Array.from({ length: 0xfefc }, () => ({ name: '.s', type: SHT_PROGBITS, data: new Uint8Array(0) }));
      const r2 = buildElf({ class: cls, littleEndian: le, sections: few });
      const elf2 = parseElf(r2.bytes);
      assert.equal(elf2.sections.length, 0xfefe);
      assert.equal(elf2.header.shnum, 0xfefe);
      const out2 = parseElf(rewriteElf(elf2, { add: [{ name: '.x', data: new Uint8Array(1) }, { name: '.y', data: new Uint8Array(2) }] }));
      assert.equal(out2.header.shnum, 0);
      assert.ok(out2.shnumEscaped);
      assert.equal(out2.sections.length, 0xff00);
      assert.equal(out2.section('.y')!.index, 0xfeff);
    }
  }
});

// ---------------------------------------------------------------- binutils checks

function tool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAVE_READELF = tool('readelf');
/** objcopy programs that can handle the given file (GNU objcopy may lack a foreign target). */
function objcopyFor(path: string): string | undefined {
  for (const oc of ['objcopy', 's390x-linux-gnu-objcopy', 'llvm-objcopy']) {
    if (!tool(oc)) continue;
    try {
      execFileSync(oc, [path, path + '.probe'], { stdio: 'ignore' });
      rmSync(path + '.probe', { force: true });
      return oc;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

function withTmp(fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-elf-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const readelf = (...args: string[]) => execFileSync('readelf', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
function readelfAll(path: string): string {
  // readelf prints warnings on stderr; merge both.
  try {
    return execFileSync('sh', ['-c', 'readelf -W -a "$1" 2>&1', 'sh', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

/** `readelf -S -W` lines that differ, with the changed/added sections and .shstrtab filtered out. */
function sectionTableDiff(inPath: string, outPath: string, ignore: Set<string>): string[] {
  const rows = (p: string) =>
    readelf('-S', '-W', p)
      .split('\n')
      .filter((l) => /^\s+\[\s*\d+\]/.test(l))
      .filter((l) => !ignore.has(l.replace(/^\s+\[\s*\d+\]\s+/, '').split(/\s+/)[0]!));
  const a = rows(inPath);
  const b = rows(outPath);
  const diff: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) diff.push(`${a[i]} | ${b[i]}`);
  return diff;
}

function checkWithBinutils(inPath: string, out: Uint8Array, changed: Set<string>, dir: string, label: string) {
  const outPath = join(dir, 'out.' + label);
  writeFileSync(outPath, out);
  const all = readelfAll(outPath);
  assert.doesNotMatch(all, /warning:|error:/i, `${label}: readelf -W -a complains`);
  assert.deepEqual(sectionTableDiff(inPath, outPath, new Set([...changed, '.shstrtab'])), [], `${label}: readelf -S -W differs`);
  const oc = objcopyFor(inPath);
  if (!oc) return;
  const elf = parseElf(new Uint8Array(readFileSync(inPath)));
  for (const s of elf.sections) {
    if (s.index === 0 || s.type === SHT_NOBITS || changed.has(s.name) || s.index === elf.shstrndx || s.name === '') continue;
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b.bin');
    execFileSync(oc, ['--dump-section', `${s.name}=${a}`, inPath, join(dir, 'junk1')], { stdio: 'ignore' });
    execFileSync(oc, ['--dump-section', `${s.name}=${b}`, outPath, join(dir, 'junk2')], { stdio: 'ignore' });
    assert.deepEqual(readFileSync(b), readFileSync(a), `${label}: ${oc} --dump-section ${s.name}`);
  }
}

test('binutils: readelf finds no problem, section tables differ only where changed, untouched sections dump identically', (t) => {
  if (!HAVE_READELF) return t.skip('readelf not installed');
  withTmp((dir) => {
    for (const file of ALL) {
      const elf = parseElf(load(file));
      const changes =
        file === 'exec64le.elf'
          ? { replace: new Map([['.strtab', bytesOf(200, 7)]]), add: [{ name: '.BTF', data: bytesOf(64, 8) }] }
          : growAndAdd(elf);
      const changed = new Set([...(changes.replace?.keys() ?? []), ...changes.add.map((a) => a.name)]);
      checkWithBinutils(FIXTURES + file, rewriteElf(elf, changes), changed, dir, file);
    }
  });
});

/** Names of the sections a section header refers to by index, so that files with different section orders compare. */
function describe(elf: ElfFile, s: ElfFile['sections'][number]) {
  const nameOf = (i: number) => (i === 0 ? 0 : elf.sections[i]?.name ?? `#${i}`);
  const infoIsIndex = s.type === SHT_REL || s.type === SHT_RELA || (s.flags & SHF_INFO_LINK) !== 0;
  return {
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    addralign: s.addralign,
    entsize: s.entsize,
    link: nameOf(s.link),
    info: infoIsIndex ? nameOf(s.info) : s.info,
  };
}
/** Sections whose bytes objcopy regenerates (symbol/string tables, relocations): contents not compared. */
const REGENERATED = new Set([SHT_SYMTAB, SHT_STRTAB, SHT_REL, SHT_RELA, SHT_SYMTAB_SHNDX, SHT_GROUP, SHT_NOBITS]);

/** Runs `objcopy --update-section ... --add-section ... --set-section-flags` and compares with rewriteElf. */
function compareWithObjcopy(oc: string, inPath: string, elf: ElfFile, changes: ReturnType<typeof growAndAdd>, dir: string, label: string) {
  const args: string[] = [];
  let k = 0;
  for (const [name, data] of changes.replace) {
    const p = join(dir, `r${k++}.bin`);
    writeFileSync(p, data);
    args.push('--update-section', `${name}=${p}`);
  }
  for (const a of changes.add) {
    const p = join(dir, `a${k++}.bin`);
    writeFileSync(p, a.data);
    args.push('--add-section', `${a.name}=${p}`);
    if (a.flags === SHF_ALLOC) args.push('--set-section-flags', `${a.name}=alloc,readonly,contents`);
  }
  const refPath = join(dir, 'ref.' + label);
  execFileSync(oc, [...args, inPath, refPath], { stdio: 'ignore' });
  const ref = parseElf(new Uint8Array(readFileSync(refPath)));
  const ours = parseElf(rewriteElf(elf, changes));
  assert.deepEqual(ours.sections.map((s) => s.name).sort(), ref.sections.map((s) => s.name).sort(), `${label}: same section names`);
  for (const r of ref.sections) {
    if (r.index === 0) continue;
    const o = ours.requireSection(r.name);
    assert.deepEqual(describe(ours, o), describe(ref, r), `${label} (${oc}): header of ${r.name}`);
    if (!REGENERATED.has(r.type)) assert.deepEqual(ours.sectionData(o), ref.sectionData(r), `${label} (${oc}): contents of ${r.name}`);
  }
  // llvm-objcopy before LLVM 22 corrupts st_shndx of symbols in a section changed with
  // --update-section (llvm/llvm-project#168060), so symbols are compared with GNU objcopy only.
  if (oc === 'llvm-objcopy') return;
  assert.deepEqual(ours.symbols().map((s) => [s.name, s.value, s.size, s.info, ours.sections[s.shndx]?.name ?? s.shndx]).sort(), ref.symbols().map((s) => [s.name, s.value, s.size, s.info, ref.sections[s.shndx]?.name ?? s.shndx]).sort());
}

test('objcopy comparison: same sections, headers and contents as objcopy --update-section/--add-section', (t) => {
  const candidates = ['objcopy', 'llvm-objcopy', 's390x-linux-gnu-objcopy'].filter(tool);
  if (candidates.length === 0) return t.skip('no objcopy installed');
  let compared = 0;
  withTmp((dir) => {
    for (const file of OBJECTS) {
      const elf = parseElf(load(file));
      for (const oc of candidates) {
        try {
          execFileSync(oc, [FIXTURES + file, join(dir, 'probe')], { stdio: 'ignore' });
        } catch {
          continue; // this objcopy does not know the target
        }
        compareWithObjcopy(oc, FIXTURES + file, elf, growAndAdd(elf), dir, file);
        compared++;
      }
    }
  });
  t.diagnostic(`${compared} comparisons`);
  assert.ok(compared >= OBJECTS.length);
});

// ---------------------------------------------------------------- a real kernel module

const MODULE_GLOB_ROOT = join(cacheDir(), 'x');
function findModule(rel: string): string | undefined {
  if (!existsSync(MODULE_GLOB_ROOT)) return undefined;
  const pkgs = execFileSync('ls', [MODULE_GLOB_ROOT], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const p of pkgs) {
    const mods = join(MODULE_GLOB_ROOT, p, 'lib/modules');
    if (!existsSync(mods)) continue;
    for (const v of execFileSync('ls', [mods], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      const path = join(mods, v, 'kernel', rel);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

test('real kernel module (tcp_bbr.ko, has .BTF_ids): parse, identity, grow + add, objcopy comparison', (t) => {
  const path = findModule('net/ipv4/tcp_bbr.ko');
  if (!path) return t.skip('no extracted Debian module corpus');
  const bytes = new Uint8Array(readFileSync(path));
  const elf = parseElf(bytes);
  assert.equal(elf.header.type, 1);
  assert.equal(elf.header.machine, 62);
  const btf = elf.requireSection('.BTF');
  assert.equal(elf.sectionData(btf)[0], 0x9f);
  assert.ok(elf.requireSection('.BTF_ids').size > 0);
  assert.ok(elf.symbols().some((s) => s.name === 'init_module' || s.name === 'cleanup_module' || s.name.startsWith('bbr_')));
  assert.ok(elf.relocationSections().every((r) => r.symtab === elf.symbolTable()!.index));
  // Identity, except that an appended module signature (after the ELF data) is dropped, as
  // objcopy drops it: it would not match the rewritten file anyway.
  const same = rewriteElf(elf, { replace: new Map([['.BTF', elf.sectionData(btf)]]) });
  assert.deepEqual(same, bytes.subarray(0, same.length));
  assert.equal(same.length, elf.elfEnd);
  if (same.length < bytes.length) {
    assert.equal(new TextDecoder().decode(bytes.subarray(bytes.length - 28)), '~Module signature appended~\n');
  }
  // With keepTrailingData the signature is kept: byte-identical.
  assert.deepEqual(rewriteElf(elf, { replace: new Map([['.BTF', elf.sectionData(btf)]]), keepTrailingData: true }), bytes);
  const changes = growAndAdd(elf);
  const out = parseElf(rewriteElf(elf, changes));
  assertUntouchedSame(elf, out, new Set(changes.replace.keys()));
  if (!HAVE_READELF) return;
  withTmp((dir) => {
    checkWithBinutils(path, rewriteElf(elf, changes), new Set([...changes.replace.keys(), '.BTF.base']), dir, 'tcp_bbr.ko');
    for (const oc of ['objcopy', 'llvm-objcopy'].filter(tool)) compareWithObjcopy(oc, path, elf, changes, dir, 'tcp_bbr.ko');
  });
});

test('rewriteElfParts: the same bytes as rewriteElf, untouched ranges as views of the input (no copy)', () => {
  for (const name of ALL) {
    const elf = parseElf(load(name));
    const victim = elf.sections.find((s) => s.type === SHT_PROGBITS && s.size >= 8)!;
    const cases: ElfChanges[] = [
      {},
      { replace: new Map([[victim.name, bytesOf(victim.size, 3)]]) }, // in place, same size
      { add: [{ name: '.parts', data: bytesOf(33, 5), align: 8 }] },
      { replace: new Map([[victim.name, bytesOf(victim.size, 6)]]), add: [{ name: '.a', data: bytesOf(7, 7) }, { name: '.b', data: bytesOf(9, 8), flags: SHF_ALLOC }], keepTrailingData: true },
    ];
    // outside a segment a section may also shrink (in place, the rest of its room zeroed) or grow (moved, its old room zeroed)
    if (!name.startsWith('exec')) cases.push({ replace: new Map([[victim.name, bytesOf(victim.size - 5, 4)]]) }, { replace: new Map([[victim.name, bytesOf(victim.size + 100, 9)]]) });
    for (const c of cases) {
      const parts = rewriteElfParts(elf, c);
      assert.deepEqual(concatBytes(parts), rewriteElf(elf, c), `${name}: ${JSON.stringify([...(c.replace?.keys() ?? [])])} + ${c.add?.length ?? 0} added`);
      // before the new tail (the last part: moved and added sections, the section headers), only
      // what was written is not the input's: e_shoff and e_shnum, the section rewritten in place
      // or the old room of a moved one, and that of the section-name table when names are added
      const own = parts.slice(0, -1).filter((p) => p.buffer !== elf.bytes.buffer).reduce((n, p) => n + p.length, 0);
      const allowed = 10 + (c.replace ? victim.size : 0) + (c.add ? elf.sections[elf.shstrndx]!.size : 0);
      assert.ok(own <= allowed, `${name}: ${own} bytes before the tail are not the input's (at most ${allowed})`);
    }
  }
});

test('PatchedOutput: writes below the kept end become merged regions over the input; the rest is new', () => {
  const input = bytesOf(64, 1);
  const o = new PatchedOutput(input, 48, 80);
  o.set(new Uint8Array([0xa1, 0xa2]), 10);
  o.set(new Uint8Array([0xb1]), 12); // adjoins the first region: merged
  o.fill(0, 30, 34);
  o.setU32(32, 0x01020304, false); // overlaps the fill: merged
  o.setU16(46, 0xbeef, true); // straddles nothing, ends at the kept end
  o.set(bytesOf(6, 9), 44); // overlaps the u16 region and crosses into the tail
  o.fill(0x7f, 70, 80);
  const parts = o.parts();
  const want = new Uint8Array(80);
  want.set(input.subarray(0, 48));
  want.set([0xa1, 0xa2, 0xb1], 10);
  want.set([0, 0, 1, 2, 3, 4], 30);
  want.set([0xef, 0xbe], 46);
  want.set(bytesOf(6, 9), 44);
  want.fill(0x7f, 70, 80);
  assert.deepEqual(o.bytes(), want);
  // regions [10, 13), [30, 36), [44, 48); the input between them shared; the tail last
  assert.deepEqual(parts.map((p) => [p.buffer === input.buffer, p.length]), [
    [true, 10], [false, 3], [true, 17], [false, 6], [true, 8], [false, 4], [false, 32],
  ]);
  // a kept end past the input's end: zeros there, as in a copy into a zeroed file
  const short = new PatchedOutput(input.subarray(0, 20), 24, 24);
  assert.deepEqual(short.bytes(), Uint8Array.from([...input.subarray(0, 20), 0, 0, 0, 0]));
});
