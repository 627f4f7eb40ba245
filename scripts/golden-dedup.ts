/**
 * Golden data for dedup/merge parity (issue 18), made with libbpf v1.7.0 through the oracle
 * harness btfo (`dedup [-B BASE] IN OUT`, `merge [-B BASE] OUT IN...`).
 *
 *   node dist/scripts/golden-dedup.js [--selftests KERNEL_SRC/tools/testing/selftests/bpf/prog_tests/btf.c]
 *
 * 1. With --selftests: the input side of every case of the kernel selftests' `dedup_tests`
 *    table (Linux 6.12, Debian's linux-source-6.12) is transcribed into
 *    test/golden/dedup/selftests.json: the raw type words (string references resolved as the
 *    selftest harness resolves NAME_NTH / NAME_TBD) and the string section. Only inputs are
 *    taken; the expected results are libbpf's own output, below.
 * 2. For every selftest input, every builder case of src/split/dedup/cases.test-util.ts and
 *    every raw header case of edge-cases.test-util.ts, the input is written to a temporary
 *    directory, btfo runs on it, and its output (or its failure) is stored in
 *    test/golden/dedup/expected.json as hex (as a sha256 for outputs over 16 KiB).
 * Without btfo nothing is regenerated.
 */

import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { btfoPath } from './dedup-inputs.js';
import { builderCases, selftestBytes, type SelftestCase } from '../src/split/dedup/cases.test-util.js';
import { headerCases } from '../src/split/dedup/edge-cases.test-util.js';
import { createHash } from 'node:crypto';
import { serializeBtf } from '../src/format/write.js';

const here = dirname(fileURLToPath(import.meta.url));
export const GOLDEN_DEDUP = join(here, '..', '..', 'test', 'golden', 'dedup');

// ---- 1. transcription of the selftests' input tables ----------------------------------------

const NAME_TBD = 0xdeadb33f;
const END_RAW = 0xdeadbeef;
const KIND: Record<string, number> = {
  BTF_KIND_INT: 1, BTF_KIND_PTR: 2, BTF_KIND_ARRAY: 3, BTF_KIND_STRUCT: 4, BTF_KIND_UNION: 5, BTF_KIND_ENUM: 6,
  BTF_KIND_FWD: 7, BTF_KIND_TYPEDEF: 8, BTF_KIND_VOLATILE: 9, BTF_KIND_CONST: 10, BTF_KIND_RESTRICT: 11,
  BTF_KIND_FUNC: 12, BTF_KIND_FUNC_PROTO: 13, BTF_KIND_VAR: 14, BTF_KIND_DATASEC: 15, BTF_KIND_FLOAT: 16,
  BTF_KIND_DECL_TAG: 17, BTF_KIND_TYPE_TAG: 18, BTF_KIND_ENUM64: 19,
};

/** The selftest encoding macros as JS functions returning word lists. */
function macroEnv(): Record<string, unknown> {
  const info = (k: number, kf: number, vlen: number): number => ((kf ? 0x80000000 : 0) | (k << 24) | (vlen & 0xffff)) >>> 0;
  const t = (n: number, i: number, s: number): number[] => [n, i, s];
  return {
    ...KIND,
    NAME_TBD, BTF_END_RAW: END_RAW,
    NAME_NTH: (n: number) => (0xfffe0000 | n) >>> 0,
    BTF_INT_SIGNED: 1, BTF_INT_CHAR: 2, BTF_INT_BOOL: 4,
    BTF_INFO_ENC: info,
    BTF_TYPE_ENC: t,
    BTF_INT_ENC: (e: number, o: number, b: number) => ((e << 24) | (o << 16) | b) >>> 0,
    BTF_TYPE_INT_ENC: (n: number, e: number, o: number, b: number, sz: number) => [n, info(1, 0, 0), sz, ((e << 24) | (o << 16) | b) >>> 0],
    BTF_FWD_ENC: (n: number, kf: number) => [n, info(7, kf, 0), 0],
    BTF_TYPE_ARRAY_ENC: (ty: number, ix: number, ne: number) => [0, info(3, 0, 0), 0, ty, ix, ne],
    BTF_STRUCT_ENC: (n: number, v: number, sz: number) => [n, info(4, 0, v), sz],
    BTF_UNION_ENC: (n: number, v: number, sz: number) => [n, info(5, 0, v), sz],
    BTF_VAR_ENC: (n: number, ty: number, l: number) => [n, info(14, 0, 0), ty, l],
    BTF_VAR_SECINFO_ENC: (ty: number, o: number, s: number) => [ty, o, s],
    BTF_MEMBER_ENC: (n: number, ty: number, o: number) => [n, ty, o],
    BTF_ENUM_ENC: (n: number, v: number) => [n, v >>> 0],
    BTF_ENUM64_ENC: (n: number, lo: number, hi: number) => [n, lo >>> 0, hi >>> 0],
    BTF_MEMBER_OFFSET: (bs: number, o: number) => ((bs << 24) | o) >>> 0,
    BTF_TYPEDEF_ENC: (n: number, ty: number) => [n, info(8, 0, 0), ty],
    BTF_PTR_ENC: (ty: number) => [0, info(2, 0, 0), ty],
    BTF_CONST_ENC: (ty: number) => [0, info(10, 0, 0), ty],
    BTF_VOLATILE_ENC: (ty: number) => [0, info(9, 0, 0), ty],
    BTF_RESTRICT_ENC: (ty: number) => [0, info(11, 0, 0), ty],
    BTF_FUNC_PROTO_ENC: (r: number, n: number) => [0, info(13, 0, n), r],
    BTF_FUNC_PROTO_ARG_ENC: (n: number, ty: number) => [n, ty],
    BTF_FUNC_ENC: (n: number, p: number) => [n, info(12, 0, 0), p],
    BTF_TYPE_FLOAT_ENC: (n: number, sz: number) => [n, info(16, 0, 0), sz],
    BTF_DECL_TAG_ENC: (v: number, ty: number, c: number) => [v, info(17, 0, 0), ty, c >>> 0],
    BTF_TYPE_TAG_ENC: (v: number, ty: number) => [v, info(18, 0, 0), ty],
  };
}

function evalList(src: string, env: Record<string, unknown>): number[] {
  const names = Object.keys(env);
  const fn = new Function(...names, `return [${src}].flat(3);`) as (...a: unknown[]) => number[];
  return fn(...names.map((n) => env[n])).map((x) => x >>> 0);
}

/** Resolves NAME_NTH/NAME_TBD against the string section as the selftest harness does. */
function resolveNames(words: number[], strs: Uint8Array): number[] {
  const starts: number[] = [];
  for (let p = 0; p < strs.length - 1; ) {
    p++;
    starts.push(p);
    while (p < strs.length && strs[p] !== 0) p++;
  }
  let next = 0;
  return words.map((w) => {
    if (w === NAME_TBD) return starts[next++]!;
    if ((w & 0xffff0000) >>> 0 === 0xfffe0000) return starts[(w & 0xffff) - 1]!;
    return w;
  });
}

function cString(lit: string): Uint8Array {
  // adjacent C literals, C escapes \0 \n \t \\ \" and \xNN; plus the implicit final NUL
  const parts = [...lit.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  const out: number[] = [];
  for (const s of parts) {
    for (let i = 0; i < s.length; i++) {
      if (s[i] !== '\\') { out.push(s.charCodeAt(i)); continue; }
      const c = s[++i]!;
      if (c === '0') out.push(0);
      else if (c === 'n') out.push(10);
      else if (c === 't') out.push(9);
      else if (c === 'x') { out.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }
      else out.push(c.charCodeAt(0));
    }
  }
  out.push(0);
  return new Uint8Array(out);
}

export function extractSelftests(cSource: string): SelftestCase[] {
  const start = cSource.indexOf('static struct btf_dedup_test dedup_tests[] = {');
  const end = cSource.indexOf('static void do_test_dedup(');
  const table = cSource.slice(start, end).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const env = macroEnv();
  const out: SelftestCase[] = [];
  const re = /\.descr\s*=\s*"([^"]*)"[\s\S]*?\.input\s*=\s*\{\s*\.raw_types\s*=\s*\{([\s\S]*?)\},\s*BTF_STR_SEC\(((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)/g;
  for (const m of table.matchAll(re)) {
    const words = evalList(m[2]!, env);
    const endIdx = words.lastIndexOf(END_RAW);
    const strs = cString(m[3]!);
    const rest = table.slice(m.index! + m[0].length, table.indexOf('.descr', m.index! + m[0].length) >>> 0 || undefined);
    out.push({
      descr: m[1]!,
      words: resolveNames(words.slice(0, endIdx), strs),
      strs: Buffer.from(strs).toString('hex'),
      forceCollisions: /force_collisions\s*=\s*true/.test(rest),
    });
  }
  return out;
}

// ---- 2. expected outputs from libbpf ----------------------------------------------------------

export interface Expected {
  /** hex of libbpf's output, or null when libbpf failed (or when only its hash is kept) */
  out: string | null;
  /** sha256 (hex) of libbpf's output, instead of `out` for outputs over 16 KiB */
  sha256?: string;
  error?: string;
}

const MAX_GOLDEN_BYTES = 16384;

function runCase(dir: string, name: string, op: 'dedup' | 'merge', base: Uint8Array | null, inputs: Uint8Array[]): Expected {
  const btfo = btfoPath()!;
  const args: string[] = [op];
  if (base) {
    writeFileSync(join(dir, `${name}.base`), base);
    args.push('-B', join(dir, `${name}.base`));
  }
  const files = inputs.map((b, i) => {
    const p = join(dir, `${name}.in${i}`);
    writeFileSync(p, b);
    return p;
  });
  const out = join(dir, `${name}.out`);
  if (op === 'dedup') args.push(files[0]!, out);
  else args.push(out, ...files);
  const r = spawnSync(btfo, args, { encoding: 'utf8' });
  if (r.status !== 0) return { out: null, error: (r.stderr || r.stdout).trim().split('\n').pop()?.replaceAll(dir + '/', '') };
  const bytes = readFileSync(out);
  if (bytes.length > MAX_GOLDEN_BYTES) return { out: null, sha256: createHash('sha256').update(bytes).digest('hex') };
  return { out: Buffer.from(bytes).toString('hex') };
}

function main(): void {
  const i = process.argv.indexOf('--selftests');
  const stPath = join(GOLDEN_DEDUP, 'selftests.json');
  if (i > 0) {
    const cases = extractSelftests(readFileSync(process.argv[i + 1]!, 'utf8'));
    writeFileSync(stPath, JSON.stringify({ source: 'linux 6.12 tools/testing/selftests/bpf/prog_tests/btf.c dedup_tests (inputs only)', cases }, null, 1) + '\n');
    console.log(`transcribed ${cases.length} selftest inputs`);
  }
  if (!btfoPath()) {
    console.log('btfo not found: expected outputs not regenerated');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'golden-dedup-'));
  const expected: Record<string, Expected> = {};
  try {
    if (existsSync(stPath)) {
      const st = JSON.parse(readFileSync(stPath, 'utf8')) as { cases: SelftestCase[] };
      st.cases.forEach((c, n) => {
        expected[`selftest ${n + 1}: ${c.descr}`] = runCase(dir, `st${n}`, 'dedup', null, [selftestBytes(c)]);
      });
    }
    builderCases().forEach((c, n) => {
      const b = c.build();
      expected[c.name] = runCase(dir, `b${n}`, c.op, b.base ? serializeBtf(b.base) : null, b.inputs.map((x) => serializeBtf(x)));
    });
    headerCases().forEach((c, n) => {
      expected[c.name] = runCase(dir, `h${n}`, 'dedup', null, [c.bytes()]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(join(GOLDEN_DEDUP, 'expected.json'), JSON.stringify(expected, null, 1) + '\n');
  console.log(`${Object.keys(expected).length} expected results written`);
}

if (process.argv[1]?.endsWith('golden-dedup.js')) main();
