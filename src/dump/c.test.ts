import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Btf } from '../model/btf.js';
import { parseBtf } from '../format/parse.js';
import { Kind } from '../format/kinds.js';
import { BtfkitError } from '../errors.js';
import { CEmitter, MAX_PAD_GAP, bpftoolCOrder, dumpC, dumpCText } from './c.js';
import { parseElf } from '../elf/index.js';
import { hasCorpus, kernelBtfPath, modulesDir } from '../../scripts/corpus-paths.js';
import { cacheDir, goldenDir } from '../testing/fixtures.js';

// ---------------------------------------------------------------------------- helpers

/** Everything in id order, as libbpf's btf_dump__dump_type(1 .. n-1) writes it. */
function emitAll(b: Btf): string {
  const em = new CEmitter(b);
  em.dumpAll();
  return em.outputText();
}

/** A record word 1 (info). */
function info(kind: number, vlen: number, kflag = false): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

const PREAMBLE = `#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

`;

const EPILOGUE = `#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
`;

const NO_KFUNCS = '\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n#endif\n\n';

// ------------------------------------------------------------------- constructs

test('structs: members, arrays (multi-dim, flexible), pointers, unions, tail padding, empty', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 1);
  const lng = b.addInt('long int', 8, 1);
  const pt = b.addStruct('point', 8);
  b.addField('x', int, 0);
  b.addField('y', int, 32);
  const a4 = b.addArray(int, int, 4);
  const flex = b.addArray(int, ch, 0);
  const a3 = b.addArray(int, int, 3);
  const a23 = b.addArray(int, a3, 2);
  const ppt = b.addPtr(pt);
  b.addStruct('s', 80);
  b.addField('c', ch, 0);
  b.addField('l', lng, 64);
  b.addField('arr', a4, 128);
  b.addField('m', a23, 256);
  b.addField('p', pt, 448);
  b.addField('pp', ppt, 512);
  b.addField('name', flex, 576);
  b.addUnion('u', 8);
  b.addField('i', int, 0);
  b.addField('l', lng, 0);
  b.addStruct('empty', 0);
  assert.equal(emitAll(b), `struct point {
	int x;
	int y;
};

struct s {
	char c;
	long int l;
	int arr[4];
	int m[2][3];
	struct point p;
	struct point *pp;
	char name[0];
	long: 64;
};

union u {
	int i;
	long int l;
};

struct empty {};

`);
});

test('bitfields and explicit padding', () => {
  const b = Btf.create();
  const u = b.addInt('unsigned int', 4, 0);
  const uc = b.addInt('unsigned char', 1, 0);
  const ul = b.addInt('long unsigned int', 8, 0);
  b.addStruct('bf', 24);
  b.addField('a', u, 0, 3);
  b.addField('b', u, 3, 5);
  b.addField('c', uc, 16);
  b.addField('d', u, 32, 10);
  b.addField('e', ul, 64);
  b.addField('f', u, 128, 4);
  b.addField('g', u, 140, 2);
  b.addStruct('gap', 32);
  b.addField('x', uc, 0);
  b.addField('y', uc, 72);
  b.addField('z', ul, 128);
  assert.equal(emitAll(b), `struct bf {
	unsigned int a: 3;
	unsigned int b: 5;
	short: 0;
	unsigned char c;
	unsigned int d: 10;
	long unsigned int e;
	unsigned int f: 4;
	char: 4;
	char: 4;
	unsigned int g: 2;
};

struct gap {
	unsigned char x;
	long: 0;
	char: 8;
	unsigned char y;
	long unsigned int z;
	long: 64;
};

`);
});

test('packed structs are detected from offsets and sizes', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 1);
  const sh = b.addInt('short int', 2, 1);
  b.addStruct('pk', 5);
  b.addField('c', ch, 0);
  b.addField('i', int, 8);
  b.addStruct('pk2', 6);
  b.addField('i', int, 0);
  b.addField('s', sh, 32);
  const inner = b.addStruct('inner', 8);
  b.addField('a', int, 0);
  b.addField('b', int, 32);
  b.addStruct('outer', 9);
  b.addField('c', ch, 0);
  b.addField('in', inner, 8);
  b.addStruct('tailpad', 12);
  b.addField('a', int, 0);
  b.addField('c', ch, 32);
  assert.equal(emitAll(b), `struct pk {
	char c;
	int i;
} __attribute__((packed));

struct pk2 {
	int i;
	short int s;
} __attribute__((packed));

struct inner {
	int a;
	int b;
};

struct outer {
	char c;
	struct inner in;
} __attribute__((packed));

struct tailpad {
	int a;
	char c;
	int: 32;
};

`);
});

test('anonymous and nested types are defined inline; unreferenced anonymous enums at top level', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 1);
  const as = b.addStruct(null, 8);
  b.addField('a', int, 0);
  b.addField('b', int, 32);
  const au = b.addUnion(null, 4);
  b.addField('i', int, 0);
  b.addField('c', ch, 0);
  const ae = b.addEnum(null, 4);
  b.addEnumValue('ONE', 1);
  b.addEnumValue('TWO', 2);
  const nested = b.addStruct(null, 4);
  b.addField('deep', au, 0);
  const pas = b.addPtr(as);
  b.addStruct('outer', 32);
  b.addField(null, as, 0);
  b.addField('u', au, 64);
  b.addField('e', ae, 96);
  b.addField('n', nested, 128);
  b.addField('p', pas, 192);
  b.addEnum(null, 4);
  b.addEnumValue('TOP_A', 0);
  b.addEnumValue('TOP_B', 7);
  assert.equal(emitAll(b), `struct outer {
	struct {
		int a;
		int b;
	};
	union {
		int i;
		char c;
	} u;
	enum {
		ONE = 1,
		TWO = 2,
	} e;
	struct {
		union {
			int i;
			char c;
		} deep;
	} n;
	struct {
		int a;
		int b;
	} *p;
};

enum {
	TOP_A = 0,
	TOP_B = 7,
};

`);
});

test('enums: signedness, 64-bit values and suffixes, mode(byte)/mode(word), forward enums', () => {
  const b = Btf.create();
  b.addEnum('color', 4);
  b.addEnumValue('RED', 0);
  b.addEnumValue('GREEN', 1);
  b.addEnumValue('BLUE', 0xffffffff);
  b.addEnum('sgn', 4);
  b.addEnumValue('NEG', -1);
  b.addEnumValue('POS', 5);
  b.addEnum('small', 1);
  b.addEnumValue('S0', 0);
  b.addEnum('wide', 8);
  b.addEnumValue('W0', 1);
  b.addEnum64('big', 8, false);
  b.addEnum64Value('B_LO', 1n);
  b.addEnum64Value('B_HI', 0xffffffff00000000n);
  b.addEnum64('big_small', 8, false);
  b.addEnum64Value('BS', 2n);
  b.addEnum64('sbig', 8, true);
  b.addEnum64Value('SB_NEG', -5n);
  b.addEnum64Value('SB_MIN', -(1n << 63n));
  b.addEnum64Value('SB_HI', 1n << 40n);
  b.addEnum('fwd_enum', 4);
  b.addEnum64('e64_4', 4, false);
  b.addEnum64Value('E4', 3n);
  assert.equal(emitAll(b), `enum color {
	RED = 0,
	GREEN = 1,
	BLUE = 4294967295,
};

enum sgn {
	NEG = -1,
	POS = 5,
};

enum small {
	S0 = 0,
} __attribute__((mode(byte)));

enum wide {
	W0 = 1,
} __attribute__((mode(word)));

enum big {
	B_LO = 1ULL,
	B_HI = 18446744069414584320ULL,
};

enum big_small {
	BS = 2ULL,
} __attribute__((mode(word)));

enum sbig {
	SB_NEG = -5LL,
	SB_MIN = -9223372036854775808LL,
	SB_HI = 1099511627776LL,
};

enum fwd_enum;

enum e64_4 {
	E4 = 3ULL,
};

`);
  // 32-bit pointers: no mode(word) for 8-byte enums.
  const em = new CEmitter(b, { ptrSize: 4 });
  em.dumpType(4);
  assert.equal(em.outputText(), 'enum wide {\n\tW0 = 1,\n};\n\n');
});

test('pointer size: guessed from the `long` INT like libbpf, or given', () => {
  const b = Btf.create();
  const ch = b.addInt('char', 1, 1);
  b.addInt('long int', 4, 1);
  const vp = b.addPtr(0);
  b.addStruct('p32', 12);
  b.addField('c', ch, 0);
  b.addField('p', vp, 32);
  // 4-byte pointers: naturally aligned, `long` padding is 32 bits.
  assert.equal(emitAll(b), 'struct p32 {\n\tchar c;\n\tvoid *p;\n\tlong: 32;\n};\n\n');
  const em = new CEmitter(b, { ptrSize: 8 });
  em.dumpAll();
  assert.equal(em.outputText(), 'struct p32 {\n\tchar c;\n\tint: 0;\n\tvoid *p;\n} __attribute__((packed));\n\n');
});

test('typedefs: of named/anonymous structs, pointers, functions, arrays; __builtin_va_list; __gnuc_va_list', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const s = b.addStruct('named', 4);
  b.addField('v', int, 0);
  b.addTypedef('named_t', s);
  const as = b.addStruct(null, 4);
  b.addField('w', int, 0);
  b.addTypedef('anon_t', as);
  const u32 = b.addTypedef('u32', int);
  const pu = b.addPtr(u32);
  b.addTypedef('pu32', pu);
  const va = b.addTypedef('__builtin_va_list', b.addPtr(0));
  b.addTypedef('va_list', va);
  b.addTypedef('__gnuc_va_list', 0);
  const fp = b.addFuncProto(int);
  b.addFuncParam('x', int);
  b.addTypedef('fn_t', fp);
  b.addTypedef('fnp_t', b.addPtr(fp));
  b.addTypedef('arr_t', b.addArray(int, u32, 16));
  assert.equal(emitAll(b), `struct named {
	int v;
};

typedef struct named named_t;

typedef struct {
	int w;
} anon_t;

typedef int u32;

typedef u32 *pu32;

typedef __builtin_va_list va_list;

typedef __builtin_va_list __gnuc_va_list;

typedef int fn_t(int x);

typedef int (*fnp_t)(int x);

typedef u32 arr_t[16];

`);
});

test('function pointers: params, (void), varargs, returning function pointers, arrays of them', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 1);
  const vp = b.addPtr(0);
  const p1 = b.addFuncProto(int);
  b.addFuncParam('ctx', vp);
  b.addFuncParam('n', int);
  const pp1 = b.addPtr(p1);
  const p0 = b.addFuncProto(0);
  const pp0 = b.addPtr(p0);
  const pv = b.addFuncProto(int);
  b.addFuncParam(null, 0);
  const ppv = b.addPtr(pv);
  const pcc = b.addPtr(b.addConst(ch));
  const pva = b.addFuncProto(int);
  b.addFuncParam('fmt', pcc);
  b.addFuncParam(null, 0);
  const ppva = b.addPtr(pva);
  const pret = b.addFuncProto(pp1);
  b.addFuncParam('which', int);
  const ppret = b.addPtr(pret);
  const afp = b.addArray(int, pp0, 4);
  b.addStruct('ops', 48);
  b.addField('cb', pp1, 0);
  b.addField('init', pp0, 64);
  b.addField('nop', ppv, 128);
  b.addField('log', ppva, 192);
  b.addField('get', ppret, 256);
  b.addField('hooks', afp, 320);
  b.addFunc('do_thing', 1, p1);
  assert.equal(emitAll(b), `struct ops {
	int (*cb)(void *ctx, int n);
	void (*init)(void);
	int (*nop)(void);
	int (*log)(const char *fmt, ...);
	int (* (*get)(int which))(void *ctx, int n);
	void (*hooks[4])(void);
};

`);
});

test('modifiers: const/volatile/restrict placement, qualified arrays dropped', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 1);
  const ci = b.addConst(int);
  const pci = b.addPtr(ci);
  const pi = b.addPtr(int);
  const cpi = b.addConst(pi);
  const cc = b.addConst(ch);
  const pcc = b.addPtr(cc);
  const cpcc = b.addConst(pcc);
  const vi = b.addVolatile(int);
  const rpi = b.addRestrict(pi);
  const cvi = b.addConst(vi);
  const arrc = b.addArray(int, ci, 2);
  const carr = b.addConst(b.addArray(int, int, 3));
  const ppi = b.addPtr(pi);
  const cppi = b.addConst(b.addPtr(cpi));
  b.addStruct('m', 96);
  b.addField('a', pci, 0);
  b.addField('b', cpi, 64);
  b.addField('c', cpcc, 128);
  b.addField('d', vi, 192);
  b.addField('e', rpi, 256);
  b.addField('f', cvi, 320);
  b.addField('g', arrc, 352);
  b.addField('h', carr, 416);
  b.addField('i', ppi, 512);
  b.addField('j', cppi, 576);
  b.addField('k', cc, 640);
  assert.equal(emitAll(b), `struct m {
	const int *a;
	int * const b;
	const char * const c;
	volatile int d;
	int * restrict e;
	volatile const int f;
	const int g[2];
	int h[3];
	int **i;
	int * const * const j;
	const char k;
	long: 64;
};

`);
});

test('type tags and type attributes; decl tags emit nothing', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const t = b.addStruct('task', 4);
  b.addField('pid', int, 0);
  const ptt = b.addPtr(b.addTypeTag('rcu', t));
  const pta = b.addPtr(b.addTypeTag('address_space(1)', 0, true));
  const put = b.addPtr(b.addTypeTag('user', int));
  b.addStruct('holder', 24);
  b.addField('parent', ptt, 0);
  b.addField('arena', pta, 64);
  b.addField('up', put, 128);
  b.addDeclTag('some_tag', t, -1);
  b.addDeclTag('field_tag', t, 0);
  assert.equal(emitAll(b), `struct task {
	int pid;
};

struct holder {
	struct task __attribute__((btf_type_tag("rcu"))) *parent;
	void __attribute__((address_space(1))) *arena;
	int __attribute__((btf_type_tag("user"))) *up;
};

`);
});

test('name conflicts get ___N suffixes per namespace (types; typedefs + enumerators)', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const f1 = b.addStruct('foo', 4);
  b.addField('a', int, 0);
  const f2 = b.addStruct('foo', 8);
  b.addField('a', int, 0);
  b.addField('b', int, 32);
  b.addStruct('user', 12);
  b.addField('x', f1, 0);
  b.addField('y', f2, 32);
  b.addTypedef('VAL', int);
  b.addEnum('e1', 4);
  b.addEnumValue('VAL', 1);
  b.addEnumValue('OTHER', 2);
  b.addEnum('e2', 4);
  b.addEnumValue('OTHER', 3);
  b.addTypedef('foo', int);
  b.addFwd('foo', 'struct');
  assert.equal(emitAll(b), `struct foo {
	int a;
};

struct foo___2 {
	int a;
	int b;
};

struct user {
	struct foo x;
	struct foo___2 y;
};

typedef int VAL;

enum e1 {
	VAL___2 = 1,
	OTHER = 2,
};

enum e2 {
	OTHER___2 = 3,
};

typedef int foo;

struct foo;

`);
});

test('duplicate typedef names; GCC __PolyX_t base types get an alias typedef', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ch = b.addInt('char', 1, 1);
  const p8 = b.addInt('__Poly8_t', 1, 0);
  b.addTypedef('dup_t', int);
  b.addTypedef('dup_t', ch);
  b.addStruct('simd', 1);
  b.addField('v', p8, 0);
  assert.equal(emitAll(b), `typedef int dup_t;

typedef char dup_t___2;

typedef unsigned char __Poly8_t;

struct simd {
	__Poly8_t v;
};

`);
});

test('suffixed names are cut to 255 bytes like libbpf\'s snprintf', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const long = 'n'.repeat(300);
  b.addStruct(long, 4);
  b.addField('a', int, 0);
  b.addStruct(long, 4);
  b.addField('a', int, 0);
  const out = emitAll(b);
  assert.ok(out.includes(`struct ${long} {`));
  assert.ok(out.includes(`struct ${'n'.repeat(255)} {`));
  assert.ok(!out.includes('___2'));
});

test('forward declarations for cycles through pointers; self references need none', () => {
  const b = Btf.create();
  const n = (s: string): number => b.addStr(s);
  b.addInt('int', 4, 1); // 1
  b.addRecord([n('A'), info(Kind.STRUCT, 2), 16, n('b'), 4, 0, n('v'), 1, 64]); // 2
  b.addRecord([n('B'), info(Kind.STRUCT, 1), 16, n('a'), 2, 0]); // 3
  b.addRecord([0, info(Kind.PTR, 0), 3]); // 4
  b.addRecord([n('list_head'), info(Kind.STRUCT, 2), 16, n('next'), 6, 0, n('prev'), 6, 64]); // 5
  b.addRecord([0, info(Kind.PTR, 0), 5]); // 6
  b.addRecord([n('X'), info(Kind.STRUCT, 1), 8, n('y'), 9, 0]); // 7
  b.addRecord([n('Y'), info(Kind.STRUCT, 1), 8, n('x'), 10, 0]); // 8
  b.addRecord([0, info(Kind.PTR, 0), 8]); // 9
  b.addRecord([0, info(Kind.PTR, 0), 7]); // 10
  const o = b.addFwd('opaque', 'struct');
  const u = b.addFwd('uopaque', 'union');
  const po = b.addPtr(o);
  const pu = b.addPtr(u);
  b.addStruct('user', 16);
  b.addField('o', po, 0);
  b.addField('u', pu, 64);
  b.addRecord([n('node'), info(Kind.STRUCT, 1), 8, n('next'), 18, 0]); // 16
  b.addRecord([n('node_t'), info(Kind.TYPEDEF, 0), 16]); // 17
  b.addRecord([0, info(Kind.PTR, 0), 17]); // 18
  assert.equal(emitAll(b), `struct B;

struct A {
	struct B *b;
	int v;
};

struct B {
	struct A a;
};

struct list_head {
	struct list_head *next;
	struct list_head *prev;
};

struct Y;

struct X {
	struct Y *y;
};

struct Y {
	struct X *x;
};

struct opaque;

union uopaque;

struct user {
	struct opaque *o;
	union uopaque *u;
};

struct node;

typedef struct node node_t;

struct node {
	node_t *next;
};

`);
});

test('unsatisfiable cycles and bad ids throw BtfkitError', () => {
  const b = Btf.create();
  const n = (s: string): number => b.addStr(s);
  b.addRecord([n('A'), info(Kind.STRUCT, 1), 4, n('b'), 2, 0]); // A embeds B
  b.addRecord([n('B'), info(Kind.STRUCT, 1), 4, n('a'), 1, 0]); // B embeds A
  const em = new CEmitter(b);
  assert.throws(() => em.dumpType(1), (e: unknown) => e instanceof BtfkitError && /unsatisfiable type cycle/.test(e.message));
  assert.throws(() => em.dumpType(99), BtfkitError);
  assert.throws(() => dumpC(b), BtfkitError);
});

// ------------------------------------------------------------------ hostile shapes

/** ELOOP as libbpf returns it for an unsatisfiable cycle; here also for nesting beyond MAX_TYPE_DEPTH. */
const isLoopErr = (e: unknown): boolean => e instanceof BtfkitError && e.code === 'BTF_INVALID' && e.errno === 40;
const isTooBigErr = (e: unknown): boolean => e instanceof BtfkitError && e.code === 'BTF_INVALID' && e.errno === 7;

// The tests below bound the work by what they assert (a typed error at a depth or size limit);
// their timeouts are hang guards only.
test('reference loops with no struct on them (libbpf recurses forever) throw BtfkitError ELOOP, not RangeError', { timeout: 60_000 }, () => {
  const cases: { what: string; build: (b: Btf, n: (s: string) => number) => void; declLoops: boolean }[] = [
    { what: 'typedef of itself', build: (b, n) => b.addRecord([n('T'), info(Kind.TYPEDEF, 0), 1]), declLoops: false },
    {
      what: 'typedef -> const -> typedef',
      build: (b, n) => {
        b.addRecord([n('T'), info(Kind.TYPEDEF, 0), 2]);
        b.addRecord([0, info(Kind.CONST, 0), 1]);
      },
      declLoops: false,
    },
    { what: 'pointer to itself', build: (b) => b.addRecord([0, info(Kind.PTR, 0), 1]), declLoops: true },
    {
      what: 'const -> volatile -> const',
      build: (b) => {
        b.addRecord([0, info(Kind.CONST, 0), 2]);
        b.addRecord([0, info(Kind.VOLATILE, 0), 1]);
      },
      declLoops: true,
    },
    {
      what: 'array of itself',
      build: (b, n) => {
        b.addRecord([0, info(Kind.ARRAY, 0), 0, 1, 2, 4]);
        b.addRecord([n('int'), info(Kind.INT, 0), 4, 32]);
      },
      declLoops: true,
    },
    {
      what: 'pointer to a prototype returning that pointer',
      build: (b) => {
        b.addRecord([0, info(Kind.PTR, 0), 2]);
        b.addRecord([0, info(Kind.FUNC_PROTO, 0), 1]);
      },
      declLoops: true,
    },
  ];
  for (const c of cases) {
    const b = Btf.create();
    c.build(b, (s) => b.addStr(s));
    assert.throws(() => dumpC(b), isLoopErr, `${c.what}: dumpC`);
    assert.throws(() => dumpC(b, { sort: false }), isLoopErr, `${c.what}: dumpC unsorted`);
    assert.throws(() => dumpC(b, { rootIds: [1] }), isLoopErr, `${c.what}: dumpC root`);
    assert.throws(() => new CEmitter(b).dumpType(1), isLoopErr, `${c.what}: dumpType`);
    if (c.declLoops) assert.throws(() => new CEmitter(b).emitTypeDecl(1, { fieldName: 'x' }), isLoopErr, `${c.what}: emitTypeDecl`);
  }
  // A loop that libbpf does detect keeps libbpf's message.
  const b = Btf.create();
  const n = (s: string): number => b.addStr(s);
  b.addRecord([n('T'), info(Kind.TYPEDEF, 0), 2]);
  b.addRecord([n('S'), info(Kind.STRUCT, 1), 4, n('t'), 1, 0]); // S embeds T = S
  assert.throws(() => new CEmitter(b).dumpType(1), (e: unknown) => isLoopErr(e) && /unsatisfiable type cycle/.test((e as Error).message));
});

test('100k-long CONST / PTR / TYPEDEF chains fail with BtfkitError ELOOP (no stack overflow); 400 levels still dump', { timeout: 60_000 }, () => {
  const chain = (len: number, add: (b: Btf, ref: number, i: number) => number): Btf => {
    const b = Btf.create();
    let id = b.addInt('int', 4, 1);
    for (let i = 0; i < len; i++) id = add(b, id, i);
    b.addTypedef('top', id);
    return b;
  };
  const kinds: [string, (b: Btf, ref: number, i: number) => number][] = [
    ['const', (b, ref) => b.addConst(ref)],
    ['ptr', (b, ref) => b.addPtr(ref)],
    ['typedef', (b, ref, i) => b.addTypedef(`t${i}`, ref)],
  ];
  for (const [what, add] of kinds) {
    const deep = chain(100_000, add);
    assert.throws(() => dumpC(deep), isLoopErr, `${what}: sorted`);
    // In id order every typedef finds the previous one ordered and emitted (as in libbpf):
    // only the modifier chains, emitted as one declaration, are too deep.
    if (what === 'typedef') assert.ok(dumpC(deep, { sort: false }).length > 100_000 * 16);
    else assert.throws(() => dumpC(deep, { sort: false }), isLoopErr, `${what}: unsorted`);
    assert.throws(() => dumpC(deep, { rootIds: [deep.typeCount() - 1] }), isLoopErr, `${what}: root`);
    const ok = dumpCText(chain(400, add));
    assert.match(ok, what === 'typedef' ? /typedef t398 t399;\n\ntypedef t399 top;/ : /typedef int \*{400}top;|typedef (const ){400}int top;/, what);
  }
});

test('deep but bounded nesting (anonymous structs, arrays, function pointers) dumps without a stack overflow', () => {
  // 250 nested anonymous structs in a named one.
  let b = Btf.create();
  const int = b.addInt('int', 4, 1);
  let inner = b.addStruct(null, 4);
  b.addField('x', int, 0);
  for (let i = 1; i < 250; i++) {
    const s = b.addStruct(null, 4);
    b.addField(null, inner, 0);
    inner = s;
  }
  b.addStruct('outer', 4);
  b.addField('in', inner, 0);
  let out = dumpCText(b);
  assert.equal(out.split('\n').filter((l) => l.endsWith('struct {')).length, 250);
  // 250-dimensional array (in id order: bpftool's sorted dump would skip the typedef, sorted first).
  b = Btf.create();
  let t = b.addInt('int', 4, 1);
  for (let i = 0; i < 250; i++) t = b.addArray(1, t, 1);
  b.addTypedef('arr', t);
  out = dumpCText(b, { sort: false });
  assert.ok(out.includes(`typedef int arr${'[1]'.repeat(250)};`));
  // Function pointers taking function pointers, 120 levels (two nested declarations each).
  b = Btf.create();
  t = b.addInt('int', 4, 1);
  for (let i = 0; i < 120; i++) {
    const fp = b.addFuncProto(1);
    b.addFuncParam('f', t);
    t = b.addPtr(fp);
  }
  b.addTypedef('fn', t);
  out = dumpCText(b, { sort: false });
  assert.match(out, /typedef int \(\*fn\)\(int \(\*f\)\(int \(\*f\)/);
  // Beyond the bounds: a typed error, not a RangeError.
  for (const [n, anon] of [[300, true], [600, true], [300, false], [600, false], [5000, false]] as const) {
    b = Btf.create();
    t = b.addInt('int', 4, 1);
    b.addEnum(null, 4); // sorted first, so the one bpftool skips
    b.addEnumValue('E', 0);
    for (let i = 0; i < n; i++) {
      if (anon) {
        const s = b.addStruct(null, 4);
        b.addField(null, t, 0);
        t = s;
      } else t = b.addArray(1, t, 1);
    }
    b.addTypedef('deep', t);
    assert.throws(() => dumpC(b, { sort: false }), isLoopErr, `${n} ${anon ? 'anonymous structs' : 'arrays'}`);
    assert.throws(() => dumpC(b), isLoopErr, `${n} ${anon ? 'anonymous structs' : 'arrays'}, sorted`);
  }
});

test('struct sizes in the GBs: BtfkitError E2BIG before the padding is written; the output cap holds', { timeout: 60_000 }, () => {
  // libbpf pads a gap with one `long: 64;` line per 8 bytes: 4 GiB would be ~5 GB of text.
  let b = Btf.create();
  const int = b.addInt('int', 4, 1);
  b.addStruct('huge', 0xffffffff);
  b.addField('x', int, 0);
  // refused from the size, before any padding: even a 1 MiB output cap is not what stops it
  assert.throws(() => dumpC(b), (e: unknown) => isTooBigErr(e) && !/exceed the limit of/.test((e as Error).message));
  assert.throws(() => dumpC(b, { maxOutputBytes: 1 << 20 }), (e: unknown) => isTooBigErr(e) && !/exceed the limit of/.test((e as Error).message));
  // A gap between members (offsets are in bits: up to 512 MiB), beyond MAX_PAD_GAP.
  b = Btf.create();
  b.addInt('int', 4, 1);
  b.addStruct('gap', 0x20000000);
  b.addField('x', 1, 0);
  b.addField('y', 1, 0xfffffff0);
  assert.throws(() => dumpC(b), (e: unknown) => isTooBigErr(e) && (e as BtfkitError).where.typeId === 2 && /padding gap of \d+ bytes/.test((e as Error).message));
  // Just under MAX_PAD_GAP: written (libbpf's lines), unless the output cap is lower.
  b = Btf.create();
  b.addInt('int', 4, 1);
  b.addStruct('big', MAX_PAD_GAP);
  b.addField('x', 1, 0);
  assert.equal(dumpCText(b).split('\tlong: 64;\n').length - 1, MAX_PAD_GAP / 8 - 1);
  assert.throws(() => dumpC(b, { maxOutputBytes: 1 << 20 }), (e: unknown) => isTooBigErr(e) && /exceed the limit of 1048576 bytes/.test((e as Error).message));
  // Many structs under the cap each, over it together: refused when the cap is reached.
  b = Btf.create();
  b.addInt('int', 4, 1);
  for (let i = 0; i < 8; i++) {
    b.addStruct(`s${i}`, 1 << 20);
    b.addField('x', 1, 0);
  }
  assert.throws(() => dumpC(b, { maxOutputBytes: 4 << 20 }), (e: unknown) => isTooBigErr(e) && /exceed the limit of 4194304 bytes/.test((e as Error).message));
  const em = new CEmitter(b, { maxOutputBytes: 1 << 16 });
  assert.throws(() => em.write('x'.repeat(1 << 17)), isTooBigErr);
  // Big but sane gaps are still written like libbpf: one line per long, then smaller ones.
  b = Btf.create();
  b.addInt('int', 4, 1);
  b.addStruct('page', 4096 + 6);
  b.addField('x', 1, 0);
  const text = dumpCText(b);
  assert.ok(text.includes(`struct page {\n\tint x;\n${'\tlong: 64;\n'.repeat(511)}\tlong: 48;\n} __attribute__((packed));\n`), text.slice(PREAMBLE.length, PREAMBLE.length + 200));
});

test('CEmitter as a library: one root and its dependencies, state kept across calls, emitTypeDecl', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const a = b.addStruct('a', 4);
  b.addField('x', int, 0);
  const unrelated = b.addStruct('unrelated', 4);
  b.addField('y', int, 0);
  const pa = b.addPtr(a);
  const cpa = b.addConst(pa);
  const bb = b.addStruct('b', 8);
  b.addField('pa', pa, 0);
  const fp = b.addFuncProto(int);
  b.addFuncParam('arg', cpa);
  const em = new CEmitter(b);
  em.dumpType(bb);
  assert.equal(em.outputText(), 'struct a;\n\nstruct b {\n\tstruct a *pa;\n};\n\n');
  em.dumpType(a);
  em.dumpType(bb); // already emitted
  assert.equal(em.outputText(), 'struct a;\n\nstruct b {\n\tstruct a *pa;\n};\n\nstruct a {\n\tint x;\n};\n\n');
  assert.equal(new TextDecoder().decode(em.take()), 'struct a;\n\nstruct b {\n\tstruct a *pa;\n};\n\nstruct a {\n\tint x;\n};\n\n');
  assert.equal(em.outputLength, 0);
  em.emitTypeDecl(pa, { fieldName: 'q' }); // its cached text was in the taken output
  assert.equal(em.outputText(), 'struct a *q');
  const d = new CEmitter(b);
  d.emitTypeDecl(fp, { fieldName: 'callback' });
  d.write(';\n');
  d.emitTypeDecl(cpa, { fieldName: 'p', stripMods: true });
  d.write(';\n');
  d.emitTypeDecl(cpa);
  assert.equal(d.outputText(), 'int callback(struct a * const arg);\nstruct a *p;\nstruct a * const');
  assert.equal(unrelated > 0, true);
});

// -------------------------------------------------------------------- bpftool wrapper

test('dumpC: preamble, bpftool sort order (first sorted entry skipped), kfunc section, epilogue', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  b.addStruct('beta', 4);
  b.addField('v', int, 0);
  b.addEnum('zeta', 4);
  b.addEnumValue('Z', 1);
  b.addEnum(null, 4); // the smallest entry of the sort: bpftool never dumps it
  b.addEnumValue('AAA', 0);
  b.addEnum(null, 4);
  b.addEnumValue('BBB', 0);
  b.addTypedef('gamma_t', int);
  b.addStruct('alpha', 4);
  b.addField('v', int, 0);
  const text = dumpCText(b);
  assert.equal(text, PREAMBLE + `enum {
	BBB = 0,
};

enum zeta {
	Z = 1,
};

typedef int gamma_t;

struct alpha {
	int v;
};

struct beta {
	int v;
};

` + NO_KFUNCS + EPILOGUE);
  assert.deepEqual([...bpftoolCOrder(b)].slice(0, 4), [5, 3, 6, 1]);
  // dumpC skips ids whose dump does nothing; the full bpftool sequence gives the same text.
  const em = new CEmitter(b);
  em.write(PREAMBLE);
  for (const id of bpftoolCOrder(b)) em.dumpType(id);
  assert.equal(em.outputText(), text.slice(0, text.length - NO_KFUNCS.length - EPILOGUE.length));
  // unsorted: id order, everything dumped
  const unsorted = dumpCText(b, { sort: false });
  assert.ok(unsorted.indexOf('struct beta {') < unsorted.indexOf('AAA = 0') && unsorted.includes('BBB = 0'));
  // root ids: just those (and their dependencies), no kfunc section
  assert.equal(dumpCText(b, { rootIds: [2] }), PREAMBLE + 'struct beta {\n\tint v;\n};\n\n' + EPILOGUE);
});

test('dumpC: the skipped first entry may be a type whose dump does nothing (a decl tag)', () => {
  for (const [tag, dumped] of [['a_tag', true], ['zz_tag', false]] as const) {
    const b = Btf.create();
    const s = b.addStruct('s', 0);
    b.addDeclTag(tag, s, -1); // sorts by (rank of s, "s", tag value)
    assert.equal(dumpCText(b), PREAMBLE + (dumped ? 'struct s {};\n\n' : '') + NO_KFUNCS + EPILOGUE);
  }
});

test('dumpC: kfunc prototypes from bpf_kfunc / bpf_fastcall decl tags, sorted by name', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const s = b.addStruct('obj', 4);
  b.addField('v', int, 0);
  const ps = b.addPtr(s);
  const p1 = b.addFuncProto(int);
  b.addFuncParam('o', ps);
  b.addFuncParam('flags', int);
  const p2 = b.addFuncProto(0);
  const fb = b.addFunc('bpf_b', 1, p2);
  const fa = b.addFunc('bpf_a', 1, p1);
  const other = b.addFunc('helper', 0, p2);
  b.addDeclTag('bpf_kfunc', fb, -1);
  b.addDeclTag('bpf_kfunc', fa, -1);
  b.addDeclTag('bpf_fastcall', fa, -1);
  b.addDeclTag('bpf_kfunc', other, 0); // a parameter tag: ignored
  b.addDeclTag('bpf_kfunc', s, -1); // not a function: ignored
  const text = dumpCText(b);
  assert.ok(text.endsWith(`
/* BPF kfuncs */
#ifndef BPF_NO_KFUNC_PROTOTYPES
extern __bpf_fastcall int bpf_a(struct obj *o, int flags) __weak __ksym;
extern void bpf_b(void) __weak __ksym;
#endif

` + EPILOGUE), text);
});

test('dumpC on split BTF dumps base and split types together', () => {
  const base = Btf.create();
  const int = base.addInt('int', 4, 1);
  const bs = base.addStruct('base_s', 4);
  base.addField('a', int, 0);
  base.addStruct('base_unused', 4);
  base.addField('z', int, 0);
  const split = Btf.createSplit(base);
  const pi = split.addPtr(int);
  split.addStruct('mod_s', 16);
  split.addField('b', bs, 0);
  split.addField('p', pi, 64);
  split.addTypedef('mod_t', int);
  assert.equal(dumpCText(split), PREAMBLE + `typedef int mod_t;

struct base_s {
	int a;
};

struct base_unused {
	int z;
};

struct mod_s {
	struct base_s b;
	int *p;
};

` + NO_KFUNCS + EPILOGUE);
});

// ----------------------------------------------------------------------- goldens

// Fixture locations: src/testing/fixtures.ts ('' when absent: every use below is guarded by existsSync).
const CACHE = cacheDir();
const GOLDEN = goldenDir() ?? '';
const VMLINUX: Record<string, string> = {
  '6.1.0-47': '452ae4783fde01d99b473d9f081f16f52a59ed240d5a7664b13151e0d260e698',
  '6.1.0-55': 'a41d309423c96e95c8701069a5bf868a3211fe38f229f2ee3fe964d89e35b037',
};

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** First differing line, for readable failures. */
function firstDiff(a: Uint8Array, b: Uint8Array): string {
  const la = Buffer.from(a).toString('latin1').split('\n');
  const lb = Buffer.from(b).toString('latin1').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: got ${JSON.stringify(la[i])}, want ${JSON.stringify(lb[i])}`;
  }
  return 'equal';
}

for (const [kver, want] of Object.entries(VMLINUX)) {
  const input = hasCorpus(`${kver}-amd64`) ? kernelBtfPath(`${kver}-amd64`) : `${CACHE}/vmlinux/${kver}-amd64.btf`;
  test(`golden: vmlinux ${kver} format c (sha256)`, { skip: !existsSync(input) && 'input BTF not present' }, () => {
    const out = dumpC(parseBtf(new Uint8Array(readFileSync(input))));
    const gold = `${GOLDEN}/vmlinux/debian-${kver}-amd64/c.h.gz`;
    if (sha256(out) !== want && existsSync(gold)) assert.fail(firstDiff(out, gunzipSync(readFileSync(gold))));
    assert.equal(sha256(out), want);
  });
}

/** The bytes of section `name` of an ELF file (src/elf), or null. */
function elfSection(f: Uint8Array, name: string): Uint8Array | null {
  const elf = parseElf(f);
  const sec = elf.section(name);
  return sec ? elf.sectionData(sec) : null;
}

const MODDIR = hasCorpus('6.1.0-47-amd64') ? modulesDir('6.1.0-47-amd64') : `${CACHE}/x/linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64/lib/modules/6.1.0-47-amd64/kernel`;
const V47 = hasCorpus('6.1.0-47-amd64') ? kernelBtfPath('6.1.0-47-amd64') : `${CACHE}/vmlinux/6.1.0-47-amd64.btf`;
const haveModules = existsSync(`${GOLDEN}/modules`) && existsSync(MODDIR) && existsSync(V47);
test('golden: 40 modules format c with -B vmlinux 6.1.0-47', { skip: !haveModules && 'module corpus not present' }, () => {
  const base = parseBtf(new Uint8Array(readFileSync(V47)));
  const bad: string[] = [];
  let n = 0;
  for (const name of readdirSync(`${GOLDEN}/modules`).sort()) {
    const dir = `${GOLDEN}/modules/${name}`;
    const result = JSON.parse(readFileSync(`${dir}/result.json`, 'utf8')) as { module: string };
    const ko = new Uint8Array(readFileSync(`${MODDIR}/${result.module}`));
    const sec = elfSection(ko, '.BTF');
    assert.ok(sec, `${name}: no .BTF section`);
    const out = dumpC(parseBtf(sec, { base }));
    const gold = gunzipSync(readFileSync(`${dir}/module.c.h.gz`));
    if (Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.length), gold) !== 0) bad.push(`${name}: ${firstDiff(out, gold)}`);
    n++;
  }
  assert.equal(n, 40);
  assert.deepEqual(bad, []);
});

/**
 * Rebuilds a BTF object from a bpftool raw text dump. The raw text does not show the kflag of
 * TYPE_TAG (type attribute vs btf_type_tag); the 6.18 host's only one is `address_space(1)`,
 * an attribute.
 */
function btfFromRawText(text: string): Btf {
  const b = Btf.create();
  const lines = text.split('\n');
  const nm = (s: string): number => (s === '(anon)' ? 0 : b.addStr(s));
  const kv = (s: string): Record<string, string> => {
    const m: Record<string, string> = {};
    for (const x of s.matchAll(/(\w+)=(\S+?)(?:,|\s|$)/g)) m[x[1]!] = x[2]!;
    return m;
  };
  const linkage: Record<string, number> = { static: 0, global: 1, extern: 2 };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i++]!;
    if (!line) continue;
    const m = /^\[(\d+)\] (\w+) '(.*?)'(.*)$/.exec(line);
    if (!m) throw new Error(`bad line ${line}`);
    const [, id, kind, name, rest] = m as unknown as [string, string, string, string, string];
    const a = kv(rest);
    const sub: string[] = [];
    while (i < lines.length && lines[i]!.startsWith('\t')) sub.push(lines[i++]!.slice(1));
    const K = Kind as Record<string, number>;
    let rec: number[];
    switch (kind) {
      case 'INT': {
        const enc = ({ '(none)': 0, SIGNED: 1, CHAR: 2, BOOL: 4 } as Record<string, number>)[a.encoding!]!;
        rec = [nm(name), info(Kind.INT, 0), +a.size!, ((enc << 24) | (+a.bits_offset! << 16) | +a.nr_bits!) >>> 0];
        break;
      }
      case 'PTR': case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPEDEF': case 'TYPE_TAG':
        rec = [nm(name), info(K[kind]!, 0, kind === 'TYPE_TAG' && name.startsWith('address_space(')), +a.type_id!];
        break;
      case 'ARRAY':
        rec = [0, info(Kind.ARRAY, 0), 0, +a.type_id!, +a.index_type_id!, +a.nr_elems!];
        break;
      case 'STRUCT': case 'UNION': {
        const kf = sub.some((s) => s.includes('bitfield_size'));
        rec = [nm(name), info(K[kind]!, sub.length, kf), +a.size!];
        for (const s of sub) {
          const mm = /^'(.*?)'(.*)$/.exec(s)!;
          const x = kv(mm[2]!);
          rec.push(nm(mm[1]!), +x.type_id!, kf ? ((+(x.bitfield_size ?? 0) << 24) | +x.bits_offset!) >>> 0 : +x.bits_offset!);
        }
        break;
      }
      case 'ENUM':
        rec = [nm(name), info(Kind.ENUM, sub.length, a.encoding === 'SIGNED'), +a.size!];
        for (const s of sub) {
          const mm = /^'(.*?)' val=(-?\d+)$/.exec(s)!;
          rec.push(nm(mm[1]!), Number(mm[2]) >>> 0);
        }
        break;
      case 'ENUM64':
        rec = [nm(name), info(Kind.ENUM64, sub.length, a.encoding === 'SIGNED'), +a.size!];
        for (const s of sub) {
          const mm = /^'(.*?)' val=(-?\d+)U?LL$/.exec(s)!;
          const u = BigInt.asUintN(64, BigInt(mm[2]!));
          rec.push(nm(mm[1]!), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        break;
      case 'FWD':
        rec = [nm(name), info(Kind.FWD, 0, a.fwd_kind === 'union'), 0];
        break;
      case 'FUNC':
        rec = [nm(name), info(Kind.FUNC, linkage[a.linkage!]!), +a.type_id!];
        break;
      case 'FUNC_PROTO':
        rec = [0, info(Kind.FUNC_PROTO, sub.length), +a.ret_type_id!];
        for (const s of sub) {
          const mm = /^'(.*?)' type_id=(\d+)$/.exec(s)!;
          rec.push(nm(mm[1]!), +mm[2]!);
        }
        break;
      case 'VAR':
        rec = [nm(name), info(Kind.VAR, 0), +a.type_id!, linkage[a.linkage!]!];
        break;
      case 'DATASEC':
        rec = [nm(name), info(Kind.DATASEC, sub.length), +a.size!];
        for (const s of sub) {
          const x = kv(s);
          rec.push(+x.type_id!, +x.offset!, +x.size!);
        }
        break;
      case 'FLOAT':
        rec = [nm(name), info(Kind.FLOAT, 0), +a.size!];
        break;
      case 'DECL_TAG':
        rec = [nm(name), info(Kind.DECL_TAG, 0), +a.type_id!, Number(a.component_idx) >>> 0];
        break;
      default:
        throw new Error(`kind ${kind}`);
    }
    assert.equal(b.addRecord(rec), +id);
  }
  return b;
}

const HOST = `${GOLDEN}/vmlinux/host-6.18.44-fc-v669`;
test('golden: host 6.18 format c (BTF rebuilt from its raw dump: kfuncs, fastcall, enum64, type attrs)', { skip: !existsSync(`${HOST}/raw.txt.gz`) && 'golden not present' }, () => {
  const btf = btfFromRawText(gunzipSync(readFileSync(`${HOST}/raw.txt.gz`)).toString('latin1'));
  const out = dumpC(btf);
  const want = 'f203badc4cb389df8a982c8c187295cdfcc8676eb2016b5b37045911a968c5c8';
  if (sha256(out) !== want) assert.fail(firstDiff(out, gunzipSync(readFileSync(`${HOST}/c.h.gz`))));
});

// ------------------------------------------------------------------------ compile

const SYS_BTF = '/sys/kernel/btf/vmlinux';
const haveClang = spawnSync('clang', ['--version']).status === 0;
test('the header generated from /sys/kernel/btf/vmlinux compiles with clang -target bpf', { skip: (!haveClang && 'clang not installed') || (!existsSync(SYS_BTF) && 'no kernel BTF') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-c-'));
  try {
    writeFileSync(join(dir, 'vmlinux.h'), dumpC(parseBtf(new Uint8Array(readFileSync(SYS_BTF)))));
    writeFileSync(join(dir, 'prog.c'), `#include "vmlinux.h"
#define SEC(name) __attribute__((section(name), used))
char LICENSE[] SEC("license") = "GPL";
SEC("tp/sched/sched_switch")
int handle(struct trace_event_raw_sched_switch *ctx)
{
	struct task_struct *t = (void *)0;
	return ctx->prev_pid + sizeof(*t) + sizeof(struct sk_buff) + sizeof(union bpf_attr);
}
`);
    execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-Wall', '-Werror', '-c', 'prog.c', '-o', 'prog.o'], { cwd: dir, stdio: 'pipe' });
    assert.ok(existsSync(join(dir, 'prog.o')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
