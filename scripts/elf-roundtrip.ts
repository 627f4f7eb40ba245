/**
 * ELF round trip over a tree of kernel modules: for every `*.ko` under DIR,
 *   1. rewrite `.BTF` with its own bytes and check that every section (header and bytes) is
 *      unchanged, that the output is the input minus an appended module signature, and that
 *      with `keepTrailingData` it is byte-identical to the input;
 *   2. grow `.BTF` (own bytes + 8) and add an allocated `.BTF.base`, and check that every
 *      other section keeps its header, offset and bytes, that the symbol table decodes to the
 *      same symbols, and that the changed/added sections hold exactly the new data.
 * Prints one line per failure and ends with "N passed, M failed".
 *
 * usage: node dist/scripts/elf-roundtrip.js DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf, rewriteElf, SHF_ALLOC, type ElfFile } from '../src/elf/index.js';
import { isBtfkitError } from '../src/errors.js';

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile() && e.name.endsWith('.ko')) yield p;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares every section of `a` with the same index in `b`; returns the first difference. */
function diffSections(a: ElfFile, b: ElfFile, changed: Set<string>): string | undefined {
  for (const s of a.sections) {
    const t = b.sections[s.index];
    if (!t) return `section ${s.index} ${s.name} missing`;
    for (const k of ['name', 'nameOffset', 'type', 'flags', 'addr', 'link', 'info', 'addralign', 'entsize'] as const) {
      if (s[k] !== t[k]) return `section ${s.name}: ${k} ${String(s[k])} -> ${String(t[k])}`;
    }
    if (changed.has(s.name) || s.index === a.shstrndx) continue;
    if (s.offset !== t.offset || s.size !== t.size) return `section ${s.name}: moved or resized`;
    if (!equalBytes(a.sectionData(s), b.sectionData(t))) return `section ${s.name}: bytes differ`;
  }
  return undefined;
}

function check(bytes: Uint8Array): string | undefined {
  const elf = parseElf(bytes);
  const btfSec = elf.section('.BTF');
  if (!btfSec) return 'no .BTF section';
  const btf = elf.sectionData(btfSec);

  // 1. identity
  const same = rewriteElf(elf, { replace: new Map([['.BTF', btf]]) });
  if (!equalBytes(same, bytes.subarray(0, same.length))) return 'identity rewrite changed the file';
  const d1 = diffSections(elf, parseElf(same), new Set());
  if (d1) return `identity: ${d1}`;
  const exact = rewriteElf(elf, { replace: new Map([['.BTF', btf]]), keepTrailingData: true });
  if (!equalBytes(exact, bytes)) return 'identity rewrite with keepTrailingData is not byte-identical';

  // 2. grow .BTF, add .BTF.base
  const grown = new Uint8Array(btf.length + 8);
  grown.set(btf);
  grown.fill(0xa5, btf.length);
  const base = btf.subarray(0, Math.min(btf.length, 4096));
  const out = parseElf(rewriteElf(elf, { replace: new Map([['.BTF', grown]]), add: [{ name: '.BTF.base', data: base, flags: SHF_ALLOC }] }));
  const d2 = diffSections(elf, out, new Set(['.BTF']));
  if (d2) return `grow: ${d2}`;
  if (!equalBytes(out.sectionData(out.requireSection('.BTF')), grown)) return 'grow: .BTF contents';
  const added = out.requireSection('.BTF.base');
  if (added.index !== elf.sections.length || added.flags !== SHF_ALLOC || !equalBytes(out.sectionData(added), base)) return 'grow: .BTF.base';
  const sa = elf.symbols();
  const sb = out.symbols();
  if (sa.length !== sb.length || sa.some((s, i) => s.name !== sb[i]!.name || s.value !== sb[i]!.value || s.shndx !== sb[i]!.shndx)) return 'grow: symbols differ';
  return undefined;
}

function main(): number {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node dist/scripts/elf-roundtrip.js DIR');
    return 2;
  }
  const t0 = performance.now();
  let passed = 0;
  let failed = 0;
  let ioMs = 0;
  let bytesTotal = 0;
  for (const path of walk(dir)) {
    const r0 = performance.now();
    const bytes = new Uint8Array(readFileSync(path));
    ioMs += performance.now() - r0;
    bytesTotal += bytes.length;
    let problem: string | undefined;
    try {
      problem = check(bytes);
    } catch (e) {
      problem = isBtfkitError(e) ? `${e.code}: ${e.describe()}` : `unexpected ${String(e)}`;
    }
    if (problem === undefined) passed++;
    else {
      failed++;
      console.log(`FAIL ${path}: ${problem}`);
    }
  }
  const ms = performance.now() - t0;
  console.log(`${passed + failed} modules, ${(bytesTotal / 1048576).toFixed(1)} MiB, ${(ms / 1000).toFixed(2)} s total (${(ioMs / 1000).toFixed(2)} s reading files)`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
