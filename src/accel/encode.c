/*
 * The type encoder of src/encode in WebAssembly: the twin of src/encode/order.ts (which DIEs
 * of a unit are types, in pahole's order) and src/encode/types.ts (each type as the BTF record
 * pahole v1.31 adds), with the attribute readers of src/dwarf/info.ts and the string interning
 * of btf__add_str (the kernel's strings first, then the module's own). Run by
 * src/accel/encode.ts once per compilation unit, between which the JavaScript encoder adds its
 * functions and variables (src/encode/index.ts): a one-shot `btfkit encode` spends most of its
 * time here, and compiled C runs at full speed from the first DIE, where the JavaScript would
 * run in V8's interpreter and baseline tiers.
 *
 * Approach: the JavaScript reads the ELF, applies the relocations, indexes the DIEs (DwarfInfo)
 * and builds the kernel's string index (StrIndex); all of it is copied here once (enc_init).
 * The own string section is mirrored: strings the JavaScript added since the last unit come in
 * by enc_sync, strings interned here go back with the unit's records. Interning keeps a cache
 * by content (src/encode/strcache.ts). Every rule is the JavaScript's, word for word: the
 * tests run both on the encoder's fixtures and corpora (src/encode/twin.test.ts, the parity
 * corpora). Where the JavaScript would throw or go down a path not written here (a type pahole
 * cannot encode, a nameless int, typedef or forward, an enum64 or float name that is not ASCII,
 * an unusual form, BTF type tags: clang's annotations), a unit stops with ENC_BAIL and the
 * JavaScript encodes that unit itself; nothing of a bailed unit is kept.
 *
 * Memory: a bump allocator over the module's memory, growing it as needed (enc_alloc); reset
 * by enc_input. Each type is encoded by a call that is not inlined into the unit's loop (V8
 * moves later calls of a WebAssembly function to optimized code, never a running loop).
 */

#include <stdint.h>

#include "btf.h"
#include "strindex.h"

#define ENC_BAIL (-1)

/* DWARF tags, attributes, forms, base type encodings (src/dwarf/constants.ts) */
enum {
  T_array_type = 0x01, T_class_type = 0x02, T_enumeration_type = 0x04, T_formal_parameter = 0x05,
  T_imported_declaration = 0x08, T_label = 0x0a, T_lexical_block = 0x0b, T_member = 0x0d,
  T_pointer_type = 0x0f, T_reference_type = 0x10, T_string_type = 0x12, T_structure_type = 0x13,
  T_subroutine_type = 0x15, T_typedef = 0x16, T_union_type = 0x17, T_unspecified_parameters = 0x18,
  T_variant_part = 0x33, T_inheritance = 0x1c, T_inlined_subroutine = 0x1d, T_ptr_to_member_type = 0x1f,
  T_subrange_type = 0x21, T_base_type = 0x24, T_const_type = 0x26, T_constant = 0x27, T_enumerator = 0x28,
  T_subprogram = 0x2e, T_template_type_parameter = 0x2f, T_template_value_parameter = 0x30,
  T_variable = 0x34, T_volatile_type = 0x35, T_dwarf_procedure = 0x36, T_restrict_type = 0x37,
  T_interface_type = 0x38, T_namespace = 0x39, T_imported_module = 0x3a, T_unspecified_type = 0x3b,
  T_rvalue_reference_type = 0x42, T_atomic_type = 0x47, T_call_site = 0x48, T_call_site_parameter = 0x49,
  T_LLVM_annotation = 0x6000, T_GNU_template_parameter_pack = 0x4107, T_GNU_formal_parameter_pack = 0x4108,
  T_GNU_call_site = 0x4109, T_GNU_call_site_parameter = 0x410a,
};
enum {
  A_name = 0x03, A_byte_size = 0x0b, A_bit_offset = 0x0c, A_bit_size = 0x0d, A_const_value = 0x1c,
  A_count = 0x37, A_upper_bound = 0x2f, A_data_member_location = 0x38, A_declaration = 0x3c,
  A_encoding = 0x3e, A_type = 0x49, A_data_bit_offset = 0x6b,
};
enum {
  F_addr = 0x01, F_block2 = 0x03, F_block4 = 0x04, F_data2 = 0x05, F_data4 = 0x06, F_data8 = 0x07,
  F_string = 0x08, F_block = 0x09, F_block1 = 0x0a, F_data1 = 0x0b, F_flag = 0x0c, F_sdata = 0x0d,
  F_strp = 0x0e, F_udata = 0x0f, F_ref_addr = 0x10, F_ref1 = 0x11, F_ref2 = 0x12, F_ref4 = 0x13,
  F_ref8 = 0x14, F_ref_udata = 0x15, F_indirect = 0x16, F_sec_offset = 0x17, F_exprloc = 0x18,
  F_flag_present = 0x19, F_strx = 0x1a, F_addrx = 0x1b, F_ref_sup4 = 0x1c, F_strp_sup = 0x1d,
  F_data16 = 0x1e, F_line_strp = 0x1f, F_ref_sig8 = 0x20, F_implicit_const = 0x21, F_loclistx = 0x22,
  F_rnglistx = 0x23, F_ref_sup8 = 0x24, F_strx1 = 0x25, F_strx2 = 0x26, F_strx3 = 0x27, F_strx4 = 0x28,
  F_addrx1 = 0x29, F_addrx2 = 0x2a, F_addrx3 = 0x2b, F_addrx4 = 0x2c, F_GNU_addr_index = 0x1f01,
  F_GNU_str_index = 0x1f02, F_GNU_ref_alt = 0x1f20, F_GNU_strp_alt = 0x1f21,
};
enum { ATE_boolean = 0x2, ATE_complex_float = 0x3, ATE_float = 0x4, ATE_signed = 0x5, ATE_signed_char = 0x6 };
/* abbrev.ts formSize markers */
#define OFF_SIZED (-1)
#define ADDR_SIZED (-2)

/* ------------------------------------------------------------------ memory */

extern unsigned char __heap_base;
static uint32_t heap_top;

static uint32_t align8(uint32_t n) { return (n + 7) & ~7u; }

/*
 * n bytes (8-aligned), the memory grown as needed; 0 when it cannot be had. Each growth costs
 * a JavaScript engine more than its pages: V8 counts a WebAssembly memory's whole size (twice)
 * against its external memory limit, and starts a full garbage collection past it (at ~32 MB
 * of WebAssembly memory in a fresh process). So a small memory grows by an eighth at least
 * (a small module's encode, with the dedup's memory beside it, stays under that limit), a
 * large one (past 64 MB: well past the limit, where each growth may start a collection) by
 * half at least (jool_common: 18 full collections with page-sized growth, 3 with halves).
 */
static void *alloc(uint32_t n) {
  uint32_t p = align8(heap_top);
  uint64_t end = (uint64_t)p + n;
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * 65536;
  if (end > have) {
    uint64_t pages = (end - have + 65535) / 65536;
    uint64_t step = have / 65536 / (have >= ((uint64_t)64 << 20) ? 2 : 8);
    if (pages < step) pages = step;
    if (have / 65536 + pages > 65536) pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, (uint32_t)pages) == (uint32_t)-1) return 0;
  }
  heap_top = (uint32_t)end;
  return (void *)(uintptr_t)p;
}

/* JavaScript's buffers: room for n bytes, or 0. Memory may grow: views are made afresh after. */
void *btfkit_enc_alloc(uint32_t n) {
  if (heap_top == 0) heap_top = (uint32_t)(uintptr_t)&__heap_base;
  return alloc(n);
}

static void copy(uint8_t *dst, const uint8_t *src, uint32_t n) { __builtin_memcpy(dst, src, n); }

/*
 * Storage of at least `need` bytes for the buffer at *p of *cap bytes (0: none yet; the first
 * size `first`, doubled until it fits), its first `keep` bytes kept; the old storage is
 * abandoned in the arena. 0, or -1 when the memory cannot be had.
 */
static int reserve(void *p, uint32_t *cap, uint32_t need, uint32_t keep, uint32_t first) {
  if (need <= *cap) return 0;
  uint32_t c = *cap ? *cap : first;
  while (c < need) c *= 2;
  uint8_t *q = alloc(c);
  if (!q) return -1;
  uint8_t **old = (uint8_t **)p;
  if (keep) copy(q, *old, keep);
  *old = q;
  *cap = c;
  return 0;
}

/* A growable array of u32 in the arena (cap in bytes). */
struct vec {
  uint32_t *v;
  uint32_t n;
  uint32_t cap;
};

/* Room for `more` entries past n; all of the old storage kept (a record being built lies past n). */
static int vec_room(struct vec *a, uint32_t more) {
  return reserve(&a->v, &a->cap, (a->n + more) * 4, a->cap, 1024);
}

/* ------------------------------------------------------------------ the input (set by JavaScript) */

/* Field order is the JavaScript's (encode.ts INPUT_FIELDS): 32-bit words. */
struct input {
  const uint8_t *info; uint32_t info_len;
  const uint8_t *str; uint32_t str_len;
  const uint8_t *line_str; uint32_t line_str_len;
  const uint8_t *str_offsets; uint32_t str_offsets_len;
  uint32_t le;
  /* DwarfInfo's index */
  const uint32_t *off; const uint32_t *abbr; const uint32_t *attr_off; const int32_t *par; const int32_t *sib;
  const uint32_t *unit_of; uint32_t n_dies;
  /* Abbrevs */
  const uint32_t *a_tag; const uint8_t *a_children; const uint32_t *a_attr_start; const uint32_t *a_attr_count;
  const uint32_t *attr_name; const uint32_t *attr_form; const double *attr_const; const int32_t *attr_size;
  const int32_t *attr_pos;
  /* units: UNIT_WORDS words each */
  const uint32_t *units; uint32_t n_units;
  /* the kernel's strings and StrIndex slots ((offset + 1, hash) pairs) */
  const uint8_t *base_strs; uint32_t base_len; const int32_t *base_slots; uint32_t base_mask;
  /* first own string offset (the kernel's string section length; 0 without a base) */
  uint32_t start_str_off;
};

/* units: offset, end, version, off_size, addr_size, first_die, end_die, str_offsets_base */
#define UNIT_WORDS 8
enum { U_OFFSET, U_END, U_VERSION, U_OFF_SIZE, U_ADDR_SIZE, U_FIRST, U_END_DIE, U_STR_OFFSETS_BASE };

/* What a unit gives back (encode.ts reads it; field order matters). */
struct output {
  uint32_t *words; uint32_t n_words;
  uint32_t *offs; uint32_t n_types;
  uint32_t *order; uint32_t n_order;
  int32_t *small_id; uint32_t n_small;
  uint8_t *strs; uint32_t strs_len;
};

static struct input in;
static struct output out;

/* own string mirror */
static uint8_t *own;
static uint32_t own_len, own_cap;

/* intern cache: 4 words per slot (hash, pool offset + 1, length, value) */
static uint32_t *cache;
static uint32_t cache_mask, cache_count;
static uint8_t *pool;
static uint32_t pool_len, pool_cap;

/* a unit's state */
static struct vec rec;    /* records */
static struct vec offs;   /* word offset of each record */
static struct vec order;  /* the unit's type DIEs, in order */
static int32_t *small_id; /* position + 1 in order, per DIE of the unit */
static uint32_t small_cap; /* bytes */
static uint32_t unit_first, unit_end;
static const uint32_t *unit;
static uint32_t strs_mark; /* own_len when the unit started */

/* ------------------------------------------------------------------ DWARF readers (info.ts) */

static int bad; /* set by a reader that met what the JavaScript would throw on */

static inline uint32_t rd8(uint32_t p) {
  if (p >= in.info_len) { bad = 1; return 0; }
  return in.info[p];
}
static inline uint32_t rd16(uint32_t p) {
  if (p + 2 > in.info_len) { bad = 1; return 0; }
  const uint8_t *b = in.info + p;
  return in.le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 : (uint32_t)b[1] | (uint32_t)b[0] << 8;
}
static inline uint32_t rd32at(const uint8_t *b, int le) {
  return le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
            : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
}
static inline uint32_t rd32(uint32_t p) {
  if (p + 4 > in.info_len) { bad = 1; return 0; }
  return rd32at(in.info + p, in.le);
}
static inline uint64_t rd64(uint32_t p) {
  if (p + 8 > in.info_len) { bad = 1; return 0; }
  uint64_t lo = rd32at(in.info + p + (in.le ? 0 : 4), in.le), hi = rd32at(in.info + p + (in.le ? 4 : 0), in.le);
  return hi << 32 | lo;
}
static inline uint32_t rd24(uint32_t p) {
  if (p + 3 > in.info_len) { bad = 1; return 0; }
  const uint8_t *b = in.info + p;
  return in.le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 : (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

/* LEB128 at p (into *next); bad when it runs past the section or past 64 bits. */
static uint64_t uleb(uint32_t p, uint32_t *next) {
  uint64_t v = 0;
  uint32_t shift = 0;
  for (;;) {
    if (p >= in.info_len || shift > 63) { bad = 1; *next = p; return 0; }
    uint8_t b = in.info[p++];
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) break;
  }
  *next = p;
  return v;
}
static int64_t sleb(uint32_t p, uint32_t *next) {
  uint64_t v = 0;
  uint32_t shift = 0;
  uint8_t b;
  for (;;) {
    if (p >= in.info_len || shift > 63) { bad = 1; *next = p; return 0; }
    b = in.info[p++];
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) break;
  }
  if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
  *next = p;
  return (int64_t)v;
}

static inline uint32_t tag_of(uint32_t die) { return in.a_tag[in.abbr[die]]; }

static inline int32_t first_child(uint32_t die) {
  if (!in.a_children[in.abbr[die]]) return -1;
  uint32_t c = die + 1;
  return c < in.n_dies && in.par[c] == (int32_t)die ? (int32_t)c : -1;
}

static inline int32_t next_sibling(uint32_t die) { return in.sib[die]; }

/* An attribute's form, data position and abbreviation attribute index. */
struct place {
  uint32_t form;
  uint32_t p;
  uint32_t a;
};

/* info.ts skip: the offset past data of `form` at p. */
static uint32_t skip(uint32_t form, uint32_t p) {
  uint32_t next;
  switch (form) {
    case F_flag_present: case F_implicit_const: return p;
    case F_data1: case F_ref1: case F_flag: case F_strx1: case F_addrx1: return p + 1;
    case F_data2: case F_ref2: case F_strx2: case F_addrx2: return p + 2;
    case F_strx3: case F_addrx3: return p + 3;
    case F_data4: case F_ref4: case F_strx4: case F_addrx4: case F_ref_sup4: return p + 4;
    case F_data8: case F_ref8: case F_ref_sig8: case F_ref_sup8: return p + 8;
    case F_data16: return p + 16;
    case F_addr: return p + unit[U_ADDR_SIZE];
    case F_strp: case F_line_strp: case F_sec_offset: case F_strp_sup: case F_GNU_ref_alt: case F_GNU_strp_alt:
      return p + unit[U_OFF_SIZE];
    case F_ref_addr: return p + (unit[U_VERSION] <= 2 ? unit[U_ADDR_SIZE] : unit[U_OFF_SIZE]);
    case F_udata: case F_sdata: case F_ref_udata: case F_strx: case F_addrx: case F_loclistx: case F_rnglistx:
    case F_GNU_addr_index: case F_GNU_str_index:
      uleb(p, &next);
      return next;
    case F_string:
      while (p < in.info_len && in.info[p] != 0) p++;
      if (p >= in.info_len) bad = 1;
      return p + 1;
    case F_block1: return p + 1 + rd8(p);
    case F_block2: return p + 2 + rd16(p);
    case F_block4: return p + 4 + rd32(p);
    case F_block: case F_exprloc: {
      uint64_t len = uleb(p, &next);
      return next + (uint32_t)len;
    }
    default:
      bad = 1; /* indirect (the JavaScript handles it) or unknown */
      return p;
  }
}

/*
 * info.ts gather: the attributes below 0x80 of one DIE found in one walk over its data (the
 * first of each name), so that the several looked up on each member and enumerator cost one
 * walk; find answers from them for that DIE.
 */
static uint32_t gathered_die = 0xffffffffu;
static uint32_t gathered_gen;
static uint32_t gathered_stamp[0x80];
static struct place gathered[0x80];

/*
 * The walk over `die`'s attribute data: with `want`, up to attribute `want` (its place in *pl:
 * 1, or 0 when absent); without (0), recording the first place of every attribute below 0x80
 * for find (gather). Bad on a form this walk does not read (indirect: the JavaScript's).
 */
static int walk_attrs(uint32_t die, uint32_t want, struct place *pl) {
  uint32_t k = in.abbr[die];
  uint32_t a = in.a_attr_start[k], e = a + in.a_attr_count[k];
  uint32_t p = in.attr_off[die];
  int fixed = unit[U_OFF_SIZE] == 4 && unit[U_ADDR_SIZE] == 8;
  for (; a < e; a++) {
    uint32_t form = in.attr_form[a];
    if (form == F_indirect) { bad = 1; return 0; }
    uint32_t at = in.attr_name[a];
    if (want == 0 ? at < 0x80 && gathered_stamp[at] != gathered_gen : at == want) {
      struct place *to = want == 0 ? &gathered[at] : pl;
      int32_t ps = in.attr_pos[a];
      to->form = form;
      to->p = fixed && ps >= 0 ? in.attr_off[die] + (uint32_t)ps : p;
      to->a = a;
      if (want != 0) return 1;
      gathered_stamp[at] = gathered_gen;
    }
    int32_t sz = in.attr_size[a];
    if (sz >= 0) p += (uint32_t)sz;
    else if (sz == OFF_SIZED) p += unit[U_OFF_SIZE];
    else p = skip(form, p);
    if (bad) return 0;
  }
  return 0;
}

static void gather(uint32_t die) {
  gathered_die = 0xffffffffu;
  if (++gathered_gen == 0) {
    __builtin_memset(gathered_stamp, 0, sizeof gathered_stamp);
    gathered_gen = 1;
  }
  walk_attrs(die, 0, 0);
  if (!bad) gathered_die = die;
}

/* info.ts find: attribute `at` of `die`, 0 when absent. */
static int find(uint32_t die, uint32_t at, struct place *pl) {
  if (die == gathered_die && at < 0x80) {
    if (gathered_stamp[at] != gathered_gen) return 0;
    *pl = gathered[at];
    return 1;
  }
  return walk_attrs(die, at, pl);
}

/* info.ts numAt as an exact 64-bit value (sdata and implicit_const signed); bad for a non-constant. */
static int64_t num_at(const struct place *pl) {
  uint32_t next;
  switch (pl->form) {
    case F_data1: case F_ref1: case F_flag: case F_strx1: case F_addrx1: return rd8(pl->p);
    case F_data2: case F_ref2: case F_strx2: case F_addrx2: return rd16(pl->p);
    case F_data4: case F_ref4: case F_strx4: case F_addrx4: return rd32(pl->p);
    case F_data8: case F_ref8: case F_ref_sig8: {
      uint64_t v = rd64(pl->p);
      if (v >= (1ull << 53)) bad = 1; /* the JavaScript's number would round */
      return (int64_t)v;
    }
    case F_udata: case F_ref_udata: case F_strx: case F_addrx: case F_loclistx: case F_rnglistx: {
      uint64_t v = uleb(pl->p, &next);
      if (v >= (1ull << 53)) bad = 1;
      return (int64_t)v;
    }
    case F_sdata: {
      int64_t v = sleb(pl->p, &next);
      if (v >= (1ll << 53) || v <= -(1ll << 53)) bad = 1;
      return v;
    }
    case F_implicit_const: {
      double c = in.attr_const[pl->a];
      if (c >= 9007199254740992.0 || c <= -9007199254740992.0) bad = 1;
      return (int64_t)c;
    }
    case F_flag_present: return 1;
    case F_sec_offset: case F_strp: case F_line_strp: case F_ref_addr:
      return unit[U_OFF_SIZE] == 8 ? (int64_t)rd64(pl->p) : rd32(pl->p);
    case F_addr:
      return unit[U_ADDR_SIZE] == 8 ? (int64_t)rd64(pl->p) : rd32(pl->p);
    default:
      bad = 1;
      return 0;
  }
}

/* info.ts num with a default. */
static int64_t num(uint32_t die, uint32_t at, int64_t dflt) {
  struct place pl;
  if (!find(die, at, &pl)) return dflt;
  return num_at(&pl);
}

/* info.ts bigValue (a constant exactly: dataN zero-extended, sdata and implicit_const signed). */
static uint64_t big_value(const struct place *pl) {
  uint32_t next;
  switch (pl->form) {
    case F_data1: return rd8(pl->p);
    case F_data2: return rd16(pl->p);
    case F_data4: return rd32(pl->p);
    case F_data8: return rd64(pl->p);
    case F_udata: return uleb(pl->p, &next);
    case F_sdata: return (uint64_t)sleb(pl->p, &next);
    case F_implicit_const: return (uint64_t)(int64_t)in.attr_const[pl->a];
    default:
      bad = 1;
      return 0;
  }
}

/* The DIE at `offset` among [lo, hi], or -1 (info.ts dieIn). */
static int32_t die_in(uint32_t offset, int32_t lo, int32_t hi) {
  while (lo <= hi) {
    int32_t mid = (int32_t)(((uint32_t)lo + (uint32_t)hi) >> 1);
    uint32_t o = in.off[mid];
    if (o == offset) return mid;
    if (o < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/*
 * The unit's DIEs by offset from the unit's start (set for each DIE of the unit when it
 * starts; entries left from other units are told apart by the DIE's own offset).
 */
static uint32_t *unit_dies;
static uint32_t unit_dies_len, unit_dies_cap; /* entries, bytes */

/* info.ts ref: a reference as a DIE index; -1 when absent or void (ref_sig8); bad on a dangling one. */
static int32_t ref(uint32_t die, uint32_t at) {
  struct place pl;
  if (!find(die, at, &pl)) return -1;
  uint64_t target;
  uint32_t next;
  switch (pl.form) {
    case F_ref1: target = rd8(pl.p); break;
    case F_ref2: target = rd16(pl.p); break;
    case F_ref4: target = rd32(pl.p); break;
    case F_ref8: target = rd64(pl.p); break;
    case F_ref_udata: target = uleb(pl.p, &next); break;
    case F_ref_addr: {
      uint64_t t = unit[U_OFF_SIZE] == 8 ? rd64(pl.p) : rd32(pl.p);
      int32_t r = t < 0xffffffffu ? die_in((uint32_t)t, 0, (int32_t)in.n_dies - 1) : -1;
      if (r < 0) bad = 1;
      return r;
    }
    case F_ref_sig8:
      return -1;
    default:
      bad = 1;
      return -1;
  }
  uint64_t o = unit[U_OFFSET] + target;
  if (o >= 0xffffffffu) { bad = 1; return -1; }
  /* a DIE of this unit: from the unit's table by offset (an entry is right when that DIE starts there) */
  if (target < unit_dies_len) {
    uint32_t t = unit_dies[target];
    if (t < in.n_dies && in.off[t] == (uint32_t)o) return (int32_t)t;
  }
  int32_t t = die_in((uint32_t)o, (int32_t)unit[U_FIRST], (int32_t)unit[U_END_DIE] - 1);
  if (t < 0) t = die_in((uint32_t)o, 0, (int32_t)in.n_dies - 1);
  if (t < 0) bad = 1;
  return t;
}

/*
 * Where a string attribute's bytes are, or 0 when absent (bad when malformed); *room: the
 * bytes from there to the end of its section (str_len finds its NUL).
 */
static const uint8_t *str_at(uint32_t die, uint32_t at, uint32_t *len) {
  struct place pl;
  *len = 0;
  if (!find(die, at, &pl)) return 0;
  const uint8_t *sec;
  uint32_t sec_len, off;
  uint64_t index;
  uint32_t next;
  switch (pl.form) {
    case F_string: sec = in.info; sec_len = in.info_len; off = pl.p; break;
    case F_strp: case F_line_strp: {
      uint64_t o = unit[U_OFF_SIZE] == 8 ? rd64(pl.p) : rd32(pl.p);
      if (o >= 0xffffffffu) { bad = 1; return 0; }
      off = (uint32_t)o;
      if (pl.form == F_strp) { sec = in.str; sec_len = in.str_len; } else { sec = in.line_str; sec_len = in.line_str_len; }
      break;
    }
    case F_strx: case F_GNU_str_index: index = uleb(pl.p, &next); goto strx;
    case F_strx1: index = rd8(pl.p); goto strx;
    case F_strx2: index = rd16(pl.p); goto strx;
    case F_strx3: index = rd24(pl.p); goto strx;
    case F_strx4: index = rd32(pl.p); goto strx;
    default:
      bad = 1;
      return 0;
  }
  goto found;
strx: {
    uint32_t osz = unit[U_OFF_SIZE];
    uint64_t a = unit[U_STR_OFFSETS_BASE] + index * osz;
    if (a + osz > in.str_offsets_len) { bad = 1; return 0; }
    const uint8_t *b = in.str_offsets + a;
    uint64_t o = osz == 8 ? ((uint64_t)rd32at(b + (in.le ? 4 : 0), in.le) << 32 | rd32at(b + (in.le ? 0 : 4), in.le)) : rd32at(b, in.le);
    if (o >= 0xffffffffu) { bad = 1; return 0; }
    sec = in.str;
    sec_len = in.str_len;
    off = (uint32_t)o;
  }
found:
  if (off >= sec_len) { bad = 1; return 0; }
  *len = sec_len - off; /* room to the section's end: str_len finds the NUL */
  return sec + off;
}

/* The length of the string at s (room: bytes to its section's end); bad when no NUL ends it. */
static uint32_t str_len(const uint8_t *s, uint32_t room) {
  uint32_t e = 0;
  while (e < room && s[e] != 0) e++;
  if (e >= room) bad = 1;
  return e;
}

/* A string attribute's bytes (*len bytes, NUL after), or 0 when absent; bad when malformed. */
static const uint8_t *str_of(uint32_t die, uint32_t at, uint32_t *len) {
  uint32_t room;
  const uint8_t *s = str_at(die, at, &room);
  if (!s) {
    *len = 0;
    return 0;
  }
  *len = str_len(s, room);
  return bad ? 0 : s;
}

/* ------------------------------------------------------------------ strings (btf__add_str) */

static int equal_bytes(const uint8_t *a, const uint8_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

/*
 * A small module's strings looked up in the kernel's without indexing the kernel's: the
 * candidates (every string of the module's .debug_str, where its names are) in a table of their
 * own, and one pass over the kernel's strings that gives each candidate its first offset there
 * (btfkit_enc_base_scan). The kernel's strings of up to CAND_SHORT bytes (gcc writes names that
 * short inline, DW_FORM_string, not in .debug_str) become candidates on that pass. A string
 * that is not a candidate gets the kernel's whole table, built then (btfkit_enc_base_index):
 * the answers are StrIndex's either way. Entries: hash, where the bytes are, their length,
 * kernel offset + 1 (0: not in the kernel's strings).
 */
#define CAND_SHORT 3
static uint32_t *cand;
static uint32_t cand_mask, cand_count;
/*
 * One bit per value of a hash's top CAND_BITS bits, set for every candidate: a kernel string
 * whose bit is clear is no candidate, found so without a probe of the table (hundreds of KB,
 * random reads) for most of the kernel's ~110k strings (a small module has a few thousand
 * candidates: a tenth of the bits or less).
 */
#define CAND_BITS 16
static uint32_t *cand_bits;

static inline void cand_bit_set(uint32_t h) { cand_bits[h >> (37 - CAND_BITS)] |= 1u << ((h >> (32 - CAND_BITS)) & 31); }
static inline int cand_bit(uint32_t h) { return (cand_bits[h >> (37 - CAND_BITS)] >> ((h >> (32 - CAND_BITS)) & 31)) & 1; }
/* the pass is done; every kernel string of up to CAND_SHORT bytes became a candidate */
static int cand_scanned, cand_short_all;

static uint32_t *cand_slot(const uint8_t *s, uint32_t n, uint32_t h) {
  for (uint32_t i = h & cand_mask;; i = (i + 1) & cand_mask) {
    uint32_t *e = cand + 4 * i;
    if (e[1] == 0) return e;
    if (e[0] == h && e[2] == n && equal_bytes((const uint8_t *)(uintptr_t)e[1], s, n)) return e;
  }
}

/* Fills the free entry e with the n bytes at s (hash h) and koff1 (kernel offset + 1, or 0). */
static void cand_enter(uint32_t *e, const uint8_t *s, uint32_t n, uint32_t h, uint32_t koff1) {
  e[0] = h;
  e[1] = (uint32_t)(uintptr_t)s;
  e[2] = n;
  e[3] = koff1;
  cand_count++;
}

static int32_t cand_find(const uint8_t *s, uint32_t n, uint32_t h, int32_t *koff) {
  const uint32_t *e = cand_slot(s, n, h);
  if (e[1] == 0) return 0;
  *koff = (int32_t)e[3] - 1;
  return 1;
}

/*
 * A kernel string (n bytes at offset o, hash h) that may be a candidate: its offset given to
 * the candidate equal to it, if the first such string; a short one (CAND_SHORT) made a
 * candidate when none is equal to it.
 */
__attribute__((noinline)) static void cand_kernel_hit(uint32_t o, uint32_t n, uint32_t h) {
  const uint8_t *s = in.base_strs;
  uint32_t *c = cand_slot(s + o, n, h);
  if (c[1] != 0) {
    if (c[3] == 0) c[3] = o + 1;
  } else if (n <= CAND_SHORT) {
    if ((cand_count + 1) * 2 <= cand_mask + 1) {
      cand_enter(c, s + o, n, h, o + 1);
    } else {
      cand_short_all = 0;
    }
  }
}

/*
 * Up to CAND_RUN kernel strings from offset o (the strings have 16 zero bytes readable after
 * them), each given to cand_kernel_hit unless its hash's bit says no candidate has it; the
 * offset after them. A call per run, not one for the whole pass: V8 moves the later calls of a
 * WebAssembly function to its optimized code, never a loop that is running.
 */
#define CAND_RUN 512
__attribute__((noinline)) static uint32_t cand_kernel_run(uint32_t o) {
  const uint8_t *s = in.base_strs;
  uint32_t len = in.base_len;
  for (uint32_t i = 0; i < CAND_RUN && o < len; i++) {
    uint32_t e = str_end(s, o, len);
    uint32_t n = e - o;
    uint32_t h = hash_bytes(s + o, n);
    if (n <= CAND_SHORT || cand_bit(h)) cand_kernel_hit(o, n, h);
    o = e + 1;
  }
  return o;
}

int32_t btfkit_enc_base_index(void);

/*
 * The kernel's offset of these bytes (StrIndex.findBytes), or -1. With the kernel's table, a
 * lookup in it; after btfkit_enc_base_scan, the answer the scan found for a string of the
 * module's (and for the kernel's short strings), else the kernel's table, built then.
 */
static int32_t base_find(const uint8_t *s, uint32_t n, uint32_t h) {
  if (!in.base_slots && cand_scanned) {
    int32_t koff;
    if (cand_find(s, n, h, &koff)) return koff;
    /* every kernel string of up to CAND_SHORT bytes is among the candidates */
    if (n <= CAND_SHORT && cand_short_all) return -1;
    if (btfkit_enc_base_index() != 0) {
      bad = 1;
      return -1;
    }
  }
  if (!in.base_slots) return -1;
  int32_t tag = (int32_t)h;
  for (uint32_t i = h & in.base_mask;; i = (i + 1) & in.base_mask) {
    int32_t v = in.base_slots[2 * i];
    if (v == 0) return -1;
    if (in.base_slots[2 * i + 1] != tag) continue;
    uint32_t o = (uint32_t)v - 1;
    if (o + n >= in.base_len || in.base_strs[o + n] != 0) continue;
    if (equal_bytes(in.base_strs + o, s, n)) return (int32_t)o;
  }
}

static int cache_grow(void) {
  uint32_t cap = cache ? (cache_mask + 1) * 2 : 4096;
  uint32_t *t = alloc(cap * 16);
  if (!t) return -1;
  __builtin_memset(t, 0, cap * 16);
  if (cache) {
    for (uint32_t i = 0; i <= cache_mask; i++) {
      uint32_t *e = cache + 4 * i;
      if (e[1] == 0) continue;
      for (uint32_t j = e[0] & (cap - 1);; j = (j + 1) & (cap - 1)) {
        if (t[4 * j + 1] == 0) {
          __builtin_memcpy(t + 4 * j, e, 16);
          break;
        }
      }
    }
  }
  cache = t;
  cache_mask = cap - 1;
  return 0;
}

/* The cached value of these bytes, or -1; *slot: where to insert them. */
static int64_t cache_get(const uint8_t *s, uint32_t n, uint32_t h, uint32_t *slot) {
  for (uint32_t i = h & cache_mask;; i = (i + 1) & cache_mask) {
    uint32_t *e = cache + 4 * i;
    if (e[1] == 0) {
      *slot = i;
      return -1;
    }
    if (e[0] == h && e[2] == n && equal_bytes(pool + e[1] - 1, s, n)) return e[3];
  }
}

static int cache_put(const uint8_t *s, uint32_t n, uint32_t h, uint32_t value) {
  uint32_t slot;
  if ((cache_count + 1) * 2 > cache_mask + 1) {
    if (cache_grow()) return -1;
  }
  if (cache_get(s, n, h, &slot) >= 0) return 0;
  if (reserve(&pool, &pool_cap, pool_len + n + 1, pool_len, 1 << 16)) return -1;
  copy(pool + pool_len, s, n);
  pool[pool_len + n] = 0;
  uint32_t *e = cache + 4 * slot;
  e[0] = h;
  e[1] = pool_len + 1;
  e[2] = n;
  e[3] = value;
  pool_len += n + 1;
  cache_count++;
  return 0;
}

/* Appends a NUL-terminated string to the own mirror; its offset in the section, or -1. */
static int64_t own_append(const uint8_t *s, uint32_t n) {
  if (reserve(&own, &own_cap, own_len + n + 1, own_len, 1 << 16)) return -1;
  uint32_t at = own_len;
  copy(own + at, s, n);
  own[at + n] = 0;
  own_len += n + 1;
  return at;
}

/* btf__add_str of n bytes (no NUL among them): the kernel's offset, else the own one. -1: out of memory. */
static int64_t intern(const uint8_t *s, uint32_t n) {
  if (n == 0) return 0;
  uint32_t h = hash_bytes(s, n);
  uint32_t slot;
  int64_t v = cache_get(s, n, h, &slot);
  if (v >= 0) return v;
  int32_t b = base_find(s, n, h);
  if (b >= 0) v = b;
  else {
    int64_t at = own_append(s, n);
    if (at < 0) return -1;
    v = in.start_str_off + at;
  }
  if (cache_put(s, n, h, (uint32_t)v)) return -1;
  return v;
}

/*
 * (string address + 1, value) pairs of interned attribute strings, direct-mapped: a unit
 * refers to one copy of a name from every DIE that has it (the NUL search, hash and compare
 * of intern are then skipped). Cleared when a unit bails (its own strings are forgotten).
 */
#define POS_CACHE 16384
static uint32_t pos_cache[2 * POS_CACHE];

static int64_t intern_attr(uint32_t die, uint32_t at) {
  uint32_t room;
  const uint8_t *s = str_at(die, at, &room);
  if (bad) return -1;
  if (!s) return 0;
  uint32_t key = (uint32_t)(uintptr_t)s + 1;
  uint32_t *c = pos_cache + 2 * ((key * 0x9e3779b1u) >> (32 - 14));
  if (c[0] == key) return c[1];
  uint32_t n = str_len(s, room);
  if (bad) return -1;
  int64_t v = intern(s, n);
  if (v >= 0) {
    c[0] = key;
    c[1] = (uint32_t)v;
  }
  return v;
}

/*
 * Builds the table of the kernel's strings (base_strs, with 16 zero bytes readable after
 * them) when the JavaScript gave none: StrIndex's (strindex.h), word for word, sized as
 * strindex.ts tableSlots sizes it. 0 or ENC_BAIL.
 */
int32_t btfkit_enc_base_index(void) {
  if (in.base_len == 0) return ENC_BAIL;
  /* sized by the strings counted, repeats too: it cannot fill */
  uint32_t cap = strindex_cap(strindex_count(in.base_strs, in.base_len));
  int32_t *slots = alloc(cap * 8);
  if (!slots) return ENC_BAIL;
  __builtin_memset(slots, 0, cap * 8);
  if (strindex_build(in.base_strs, in.base_len, slots, cap - 1) < 0) return ENC_BAIL;
  in.base_slots = slots;
  in.base_mask = cap - 1;
  return 0;
}

/* The strings of s[0, len) (NUL-terminated) as candidates; 0, or -1 when one has no NUL. */
static int cand_add_all(const uint8_t *s, uint32_t len) {
  for (uint32_t p = 0; p < len;) {
    uint32_t n = str_len(s + p, len - p);
    if (bad) return -1;
    uint32_t h = hash_bytes(s + p, n);
    uint32_t *e = cand_slot(s + p, n, h);
    if (e[1] == 0) {
      cand_enter(e, s + p, n, h, 0);
      cand_bit_set(h);
    }
    p += n + 1;
  }
  return 0;
}

/*
 * The candidates' answers (see cand): the module's .debug_str (in.str) and the strings the
 * JavaScript names things with besides its DWARF (`extra`, NUL-terminated each: section names,
 * the kfunc tags) entered, then one pass over the kernel's strings. 0, or ENC_BAIL (out of
 * memory, a malformed section: the JavaScript encodes).
 */
int32_t btfkit_enc_base_scan(const uint8_t *extra, uint32_t extra_len) {
  if (in.base_len == 0 || in.base_slots) return 0;
  /* room for every candidate and the kernel's short strings, half full at most */
  uint32_t cap = strindex_cap(strindex_count(in.str, in.str_len) + strindex_count(extra, extra_len) + 4096);
  cand = alloc(cap * 16);
  cand_bits = alloc((1u << CAND_BITS) / 8);
  if (!cand || !cand_bits) return ENC_BAIL;
  __builtin_memset(cand, 0, cap * 16);
  __builtin_memset(cand_bits, 0, (1u << CAND_BITS) / 8);
  cand_mask = cap - 1;
  cand_count = 0;
  if (cand_add_all(in.str, in.str_len) || cand_add_all(extra, extra_len)) return ENC_BAIL;
  /* the kernel's strings, a call per run of them (cand_kernel_run) */
  cand_short_all = 1;
  for (uint32_t o = 0; o < in.base_len;) o = cand_kernel_run(o);
  cand_scanned = 1;
  return 0;
}

/* btfkit_enc_sync: strings the JavaScript added to the own section, [0, len) NUL-terminated. */
int32_t btfkit_enc_sync(const uint8_t *s, uint32_t len) {
  uint32_t p = 0;
  while (p < len) {
    uint32_t e = p;
    while (e < len && s[e] != 0) e++;
    if (e >= len) return ENC_BAIL;
    int64_t at = own_append(s + p, e - p);
    if (at < 0) return ENC_BAIL;
    /* the empty string of a standalone object stays uncached: intern answers 0 for it */
    if (e > p && cache_put(s + p, e - p, hash_bytes(s + p, e - p), in.start_str_off + (uint32_t)at)) return ENC_BAIL;
    p = e + 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ order.ts */

static int is_type_tag(uint32_t tag) {
  switch (tag) {
    case T_structure_type: case T_class_type: case T_interface_type: case T_union_type:
    case T_typedef: case T_rvalue_reference_type: case T_enumeration_type: case T_array_type:
    case T_string_type: case T_base_type: case T_const_type: case T_pointer_type:
    case T_ptr_to_member_type: case T_reference_type: case T_restrict_type: case T_subroutine_type:
    case T_unspecified_type: case T_volatile_type: case T_atomic_type: case T_LLVM_annotation:
      return 1;
    default:
      return 0;
  }
}

static int is_known_tag(uint32_t tag) {
  return is_type_tag(tag) || tag == T_subprogram || tag == T_variable || tag == T_constant
    || tag == T_namespace || tag == T_imported_declaration || tag == T_imported_module;
}

static int add_order(uint32_t die) {
  if (vec_room(&order, 1)) return -1;
  order.v[order.n++] = die;
  small_id[die - unit_first] = (int32_t)order.n;
  return 0;
}

static int visit(uint32_t die, int depth);

static int nested(uint32_t c, int depth) {
  uint32_t tag = tag_of(c);
  if (!is_known_tag(tag)) return 0;
  if (visit(c, depth)) return -1;
  if (is_type_tag(tag) && tag != T_LLVM_annotation) return add_order(c);
  return 0;
}

static int body(uint32_t die, int depth) {
  if (depth > 4096) return -1;
  for (int32_t c = first_child(die); c >= 0; c = next_sibling((uint32_t)c)) {
    switch (tag_of((uint32_t)c)) {
      case T_call_site: case T_call_site_parameter: case T_GNU_call_site: case T_GNU_call_site_parameter:
      case T_dwarf_procedure: case T_template_type_parameter: case T_template_value_parameter:
      case T_GNU_template_parameter_pack: case T_GNU_formal_parameter_pack:
      case T_formal_parameter: case T_variable: case T_unspecified_parameters: case T_label:
      case T_LLVM_annotation:
        continue;
      case T_lexical_block: case T_inlined_subroutine:
        if (body((uint32_t)c, depth + 1)) return -1;
        continue;
      default:
        if (nested((uint32_t)c, depth + 1)) return -1;
    }
  }
  return 0;
}

static int visit(uint32_t die, int depth) {
  if (depth > 4096) return -1;
  switch (tag_of(die)) {
    case T_structure_type: case T_class_type: case T_interface_type: case T_union_type:
      for (int32_t c = first_child(die); c >= 0; c = next_sibling((uint32_t)c)) {
        switch (tag_of((uint32_t)c)) {
          case T_member: case T_inheritance: case T_LLVM_annotation: case T_subrange_type: case T_variant_part:
          case T_template_type_parameter: case T_template_value_parameter: case T_GNU_template_parameter_pack:
          case T_GNU_formal_parameter_pack:
            continue;
          default:
            if (nested((uint32_t)c, depth + 1)) return -1;
        }
      }
      return 0;
    case T_subroutine_type:
      for (int32_t c = first_child(die); c >= 0; c = next_sibling((uint32_t)c)) {
        uint32_t t = tag_of((uint32_t)c);
        if (t == T_formal_parameter || t == T_unspecified_parameters || t == T_subrange_type) continue;
        if (nested((uint32_t)c, depth + 1)) return -1;
      }
      return 0;
    case T_subprogram:
      return body(die, depth + 1);
    case T_namespace:
      for (int32_t c = first_child(die); c >= 0; c = next_sibling((uint32_t)c))
        if (nested((uint32_t)c, depth + 1)) return -1;
      return 0;
    case T_pointer_type:
      /* btf_type_tag annotations (clang): the JavaScript's */
      for (int32_t c = first_child(die); c >= 0; c = next_sibling((uint32_t)c))
        if (tag_of((uint32_t)c) == T_LLVM_annotation) return -1;
      return 0;
    default:
      return 0;
  }
}

/* ------------------------------------------------------------------ types.ts */

static uint32_t id_off;
static uint32_t *state; /* has_index_type, array_index_id, need_index_type */

/* The next record's words: room for n more, returns where they go. */
static uint32_t *rec_words(uint32_t n) {
  if (vec_room(&rec, n)) return 0;
  return rec.v + rec.n;
}

/*
 * A record with elements, built at rec.n (which stays there until rec_end): name and word 2
 * set, info set at the end. 0 when the memory cannot be had.
 */
static int rec_begin(uint32_t name, uint32_t word2) {
  uint32_t *r = rec_words(3);
  if (!r) return 0;
  r[0] = name;
  r[2] = word2;
  return 1;
}

/* Appends the k words of `e` to the record begun at rec.n, which has n words: n + k, or 0. */
static uint32_t rec_add(uint32_t n, const uint32_t *e, uint32_t k) {
  uint32_t *r = rec_words(n + k);
  if (!r) return 0;
  for (uint32_t i = 0; i < k; i++) r[n + i] = e[i];
  return n + k;
}

/* Ends a record of n words (written at rec_words' answer); its id. */
static uint32_t rec_end(uint32_t n) {
  if (vec_room(&offs, 1)) return 0;
  offs.v[offs.n++] = rec.n;
  rec.n += n;
  return id_off + offs.n;
}

static uint32_t small_of(int32_t t) {
  if (t < (int32_t)unit_first || (uint32_t)t >= unit_end) return 0;
  return (uint32_t)small_id[(uint32_t)t - unit_first];
}

/* types.ts refId */
static uint32_t ref_id(uint32_t die, uint32_t at) {
  uint32_t s = small_of(ref(die, at));
  return s == 0 ? 0 : id_off + s;
}

static uint32_t add_ref(uint32_t kind, uint32_t name, uint32_t target) {
  uint32_t *r = rec_words(3);
  if (!r) return 0;
  r[0] = name;
  r[1] = info_word(kind, 0, 0);
  r[2] = target;
  return rec_end(3);
}

static int ascii(const uint8_t *s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (s[i] >= 0x80) return 0;
  return 1;
}

static uint32_t add_int(const uint8_t *name, uint32_t n, uint32_t bytes, uint32_t enc) {
  int64_t no = intern(name, n);
  if (no < 0) return 0;
  uint32_t *r = rec_words(4);
  if (!r) return 0;
  r[0] = (uint32_t)no;
  r[1] = info_word(K_INT, 0, 0);
  r[2] = bytes;
  r[3] = enc << 24 | bytes * 8;
  return rec_end(4);
}

static uint32_t encode_base_type(uint32_t die) {
  int64_t encoding = num(die, A_encoding, 0);
  int64_t bits = num(die, A_byte_size, 0) * 8;
  if (bad) return 0;
  uint32_t enc = 0;
  if (encoding == ATE_signed || encoding == ATE_signed_char) enc = 1;
  else if (encoding == ATE_boolean) enc = 4;
  else if (encoding == ATE_float) {
    uint32_t n;
    const uint8_t *s = str_of(die, A_name, &n);
    if (bad || !s || n == 0 || !ascii(s, n)) return 0; /* addFloat's name: a JS string */
    int64_t size = bits / 8;
    if (size != 2 && size != 4 && size != 8 && size != 12 && size != 16) return 0;
    int64_t no = intern(s, n);
    /* a FLOAT is laid out as a reference, its size where the type would be */
    return no < 0 ? 0 : add_ref(K_FLOAT, (uint32_t)no, (uint32_t)size);
  } else if (encoding == ATE_complex_float || encoding == 0x9) {
    return 0;
  }
  int64_t bytes = (bits + 7) >> 3;
  if (!bytes || (bytes & (bytes - 1)) || bytes > 16) {
    static const uint8_t fake[] = "__SANITIZED_FAKE_INT__";
    return add_int(fake, sizeof fake - 1, 4, enc);
  }
  uint32_t n;
  const uint8_t *s = str_of(die, A_name, &n);
  if (bad || !s || n == 0) return 0; /* a nameless int: btf__add_int refuses it */
  return add_int(s, n, (uint32_t)bytes, enc);
}

/* types.ts locationKind */
enum { LOC_OTHER, LOC_EXPR, LOC_CONST };
static int location_kind(uint32_t form) {
  switch (form) {
    case F_block: case F_block1: case F_block2: case F_block4: case F_exprloc: return LOC_EXPR;
    case F_data1: case F_data2: case F_data4: case F_data8: case F_udata: case F_sdata: case F_implicit_const: return LOC_CONST;
    default: return LOC_OTHER;
  }
}

/* info.ts blockAt: the bytes of a block form (*len), or 0. */
static const uint8_t *block_at(const struct place *pl, uint32_t *len) {
  uint32_t p = pl->p, next;
  uint64_t n;
  switch (pl->form) {
    case F_block1: n = rd8(p); p += 1; break;
    case F_block2: n = rd16(p); p += 2; break;
    case F_block4: n = rd32(p); p += 4; break;
    case F_block: case F_exprloc: n = uleb(p, &next); p = next; break;
    default: return 0;
  }
  if (bad || p + n > in.info_len) { bad = 1; return 0; }
  *len = (uint32_t)n;
  return in.info + p;
}

/* types.ts exprOffset */
static uint32_t expr_offset(const uint8_t *b, uint32_t len) {
  if (len < 2) return 0;
  if (b[0] != 0x23 && b[0] != 0x10) return 0xffffffffu;
  double v = 0, mul = 1;
  for (uint32_t i = 1; i < len; i++) {
    v += (double)(b[i] & 0x7f) * mul;
    if (b[i] < 0x80) break;
    mul *= 128;
  }
  if (v >= 4294967296.0) bad = 1; /* the JavaScript's number, unclamped: not handled here */
  return (uint32_t)v;
}

/* types.ts storageSize */
static int64_t storage_size(int32_t t) {
  for (int guard = 0; t >= 0 && guard < 64; guard++) {
    uint32_t tag = tag_of((uint32_t)t);
    if (tag == T_typedef || tag == T_const_type || tag == T_volatile_type || tag == T_restrict_type || tag == T_atomic_type) {
      t = ref((uint32_t)t, A_type);
      if (bad) return 0;
      continue;
    }
    int64_t size = num((uint32_t)t, A_byte_size, 0);
    if (size) return size;
    return tag == T_enumeration_type ? 4 : 0;
  }
  return 0;
}

/* types.ts memberPlacement: bit offset and bitfield size (as the JavaScript's numbers). */
static void member_placement(uint32_t m, int64_t *bit_offset, int64_t *bitfield_size) {
  struct place pl;
  int64_t bfs = num(m, A_bit_size, 0);
  *bitfield_size = bfs;
  if (find(m, A_data_bit_offset, &pl)) {
    *bit_offset = num_at(&pl);
    return;
  }
  int64_t byte_offset = 0;
  if (find(m, A_data_member_location, &pl)) {
    int kind = location_kind(pl.form);
    if (kind == LOC_EXPR) {
      uint32_t len;
      const uint8_t *b = block_at(&pl, &len);
      if (!b) { bad = 1; return; }
      byte_offset = expr_offset(b, len);
    } else if (kind == LOC_CONST) {
      byte_offset = (uint32_t)num_at(&pl);
    }
  }
  *bit_offset = (uint32_t)(byte_offset * 8);
  if (bfs == 0) return;
  int64_t byte_size = num(m, A_byte_size, 0);
  if (byte_size == 0) byte_size = storage_size(ref(m, A_type));
  if (byte_size == 0) return;
  int64_t bit_size = byte_size * 8;
  int64_t bitfield_offset = bit_size - num(m, A_bit_offset, 0) - bfs;
  *bit_offset = (uint32_t)(byte_offset * 8 + bitfield_offset);
  if (bitfield_offset < 0) {
    bitfield_offset += bit_size;
    byte_offset -= byte_size;
    *bit_offset = (uint32_t)(byte_offset * 8 + bitfield_offset);
  }
}

static uint32_t encode_composite(uint32_t die) {
  int is_union = tag_of(die) == T_union_type;
  int64_t size = num(die, A_byte_size, 0);
  int64_t name = intern_attr(die, A_name);
  if (bad || name < 0) return 0;
  if (!rec_begin((uint32_t)name, (uint32_t)size)) return 0;
  uint32_t n = 3;
  int kflag = 0;
  for (int32_t mi = first_child(die); mi >= 0; mi = next_sibling((uint32_t)mi)) {
    uint32_t m = (uint32_t)mi;
    if (tag_of(m) != T_member) continue;
    int64_t bit_offset, bitfield_size;
    gather(m);
    if (bad) return 0;
    member_placement(m, &bit_offset, &bitfield_size);
    if (bad) return 0;
    uint32_t type = id_off + small_of(ref(m, A_type));
    if (bad) return 0;
    int is_bitfield = bitfield_size != 0 || bit_offset % 8 != 0;
    if (is_bitfield && (bitfield_size > 255 || bit_offset >= 1 << 24)) return 0;
    if (is_union && bit_offset) return 0;
    if ((n - 3) / 3 + 1 > VLEN_MAX) return 0;
    if (is_bitfield) kflag = 1;
    int64_t no = intern_attr(m, A_name);
    if (bad || no < 0) return 0;
    uint32_t e[3] = {(uint32_t)no, type, (uint32_t)bit_offset | (uint32_t)bitfield_size << 24};
    if (!(n = rec_add(n, e, 3))) return 0;
  }
  rec.v[rec.n + 1] = info_word(is_union ? K_UNION : K_STRUCT, (n - 3) / 3, kflag);
  return rec_end(n);
}

static uint32_t encode_enum32(uint32_t die, uint32_t size) {
  int64_t name = intern_attr(die, A_name);
  if (bad || name < 0) return 0;
  if (!rec_begin((uint32_t)name, size)) return 0;
  uint32_t n = 3;
  int kflag = 0;
  for (int32_t ei = first_child(die); ei >= 0; ei = next_sibling((uint32_t)ei)) {
    uint32_t e = (uint32_t)ei;
    if (tag_of(e) != T_enumerator) continue;
    gather(e);
    int64_t no = intern_attr(e, A_name);
    if (bad || no <= 0) return 0; /* a nameless value: btf__add_enum_value refuses it */
    struct place pl;
    int64_t v = 0;
    if (find(e, A_const_value, &pl)) {
      uint32_t f = pl.form;
      if (f == F_data1 || f == F_data2 || f == F_data4 || f == F_sdata || f == F_implicit_const) v = num_at(&pl);
      else v = (int64_t)big_value(&pl);
    }
    if (bad) return 0;
    if (v < -0x80000000ll || v > 0xffffffffll) return 0;
    if ((n - 3) / 2 + 1 > VLEN_MAX) return 0;
    if (v < 0) kflag = 1;
    uint32_t ev[2] = {(uint32_t)no, (uint32_t)v};
    if (!(n = rec_add(n, ev, 2))) return 0;
  }
  rec.v[rec.n + 1] = info_word(K_ENUM, (n - 3) / 2, kflag);
  return rec_end(n);
}

/* types.ts encodeEnum past 4 bytes: btf__add_enum64 and its values (names as JS strings: ASCII only here). */
static uint32_t encode_enum64(uint32_t die, int64_t size) {
  if (size != 8) return 0; /* addEnum/addEnum64 refuse other sizes */
  int32_t under = ref(die, A_type);
  int64_t enc = under >= 0 ? num((uint32_t)under, A_encoding, 0) : 0;
  if (bad) return 0;
  int is_signed = enc == ATE_signed || enc == ATE_signed_char;
  uint32_t n;
  const uint8_t *s = str_of(die, A_name, &n);
  if (bad || (s && !ascii(s, n))) return 0;
  /* the values are read (and checked) before anything is added, as the JavaScript reads them */
  for (int32_t ei = first_child(die); ei >= 0; ei = next_sibling((uint32_t)ei)) {
    uint32_t e = (uint32_t)ei;
    if (tag_of(e) != T_enumerator) continue;
    uint32_t en;
    const uint8_t *es = str_of(e, A_name, &en);
    if (bad || !es || en == 0 || !ascii(es, en)) return 0;
    struct place pl;
    if (find(e, A_const_value, &pl)) big_value(&pl);
    if (bad) return 0;
  }
  int64_t no = s && n ? intern(s, n) : 0;
  if (no < 0) return 0;
  if (!rec_begin((uint32_t)no, 8)) return 0;
  uint32_t w = 3;
  for (int32_t ei = first_child(die); ei >= 0; ei = next_sibling((uint32_t)ei)) {
    uint32_t e = (uint32_t)ei;
    if (tag_of(e) != T_enumerator) continue;
    uint32_t en;
    const uint8_t *es = str_of(e, A_name, &en);
    struct place pl;
    uint64_t v = find(e, A_const_value, &pl) ? big_value(&pl) : 0;
    if ((w - 3) / 3 + 1 > VLEN_MAX) return 0;
    int64_t eno = intern(es, en);
    if (eno < 0) return 0;
    uint32_t ev[3] = {(uint32_t)eno, (uint32_t)v, (uint32_t)(v >> 32)};
    if (!(w = rec_add(w, ev, 3))) return 0;
  }
  rec.v[rec.n + 1] = info_word(K_ENUM64, (w - 3) / 3, is_signed);
  return rec_end(w);
}

/* types.ts subrangeElements: upper_bound + 1 or count, as u32 (0 when neither is a constant). */
static uint32_t subrange_elements(uint32_t c) {
  struct place pl;
  if (find(c, A_upper_bound, &pl)) {
    if (location_kind(pl.form) != LOC_CONST) return 0;
    return (uint32_t)(big_value(&pl) + 1);
  }
  if (find(c, A_count, &pl)) {
    if (location_kind(pl.form) != LOC_CONST) return 0;
    return (uint32_t)big_value(&pl);
  }
  return 0;
}

static uint32_t encode_proto(uint32_t die) {
  uint32_t ret = ref_id(die, A_type);
  if (bad) return 0;
  if (!rec_begin(0, ret)) return 0;
  uint32_t n = 3;
  int varargs = 0;
  for (int32_t ci = first_child(die); ci >= 0; ci = next_sibling((uint32_t)ci)) {
    uint32_t c = (uint32_t)ci;
    uint32_t t = tag_of(c);
    if (t == T_formal_parameter) {
      int64_t no = intern_attr(c, A_name);
      uint32_t type = ref_id(c, A_type);
      if (bad || no < 0) return 0;
      uint32_t pv[2] = {(uint32_t)no, type};
      if (!(n = rec_add(n, pv, 2))) return 0;
    } else if (t == T_unspecified_parameters) {
      varargs = 1;
    }
  }
  if (varargs) {
    static const uint32_t none[2] = {0, 0};
    if (!(n = rec_add(n, none, 2))) return 0;
  }
  if ((n - 3) / 2 > VLEN_MAX) return 0;
  rec.v[rec.n + 1] = info_word(K_FUNC_PROTO, (n - 3) / 2, 0);
  return rec_end(n);
}

/* types.ts encodeType: the id of the type added, 0 for a skipped one (unspecified), -1 to bail. */
__attribute__((noinline)) static int64_t encode_type(uint32_t die) {
  uint32_t tag = tag_of(die);
  uint32_t id;
  switch (tag) {
    case T_base_type:
      id = encode_base_type(die);
      break;
    case T_const_type: case T_pointer_type: case T_restrict_type: case T_volatile_type: {
      uint32_t kind = tag == T_const_type ? K_CONST : tag == T_pointer_type ? K_PTR : tag == T_restrict_type ? K_RESTRICT : K_VOLATILE;
      id = add_ref(kind, 0, ref_id(die, A_type));
      break;
    }
    case T_typedef: {
      int64_t name = intern_attr(die, A_name);
      if (bad || name <= 0) return -1; /* a nameless typedef: btf__add_typedef refuses it */
      id = add_ref(K_TYPEDEF, (uint32_t)name, ref_id(die, A_type));
      break;
    }
    case T_structure_type: case T_class_type: case T_union_type:
      if (num(die, A_declaration, 0)) {
        int64_t name = intern_attr(die, A_name);
        if (bad || name <= 0) return -1;
        uint32_t *r = rec_words(3);
        if (!r) return -1;
        r[0] = (uint32_t)name;
        r[1] = info_word(K_FWD, 0, tag == T_union_type);
        r[2] = 0;
        id = rec_end(3);
      } else {
        id = encode_composite(die);
      }
      break;
    case T_array_type: {
      state[2] = 1;
      uint32_t elem = ref_id(die, A_type);
      uint32_t nel = 1;
      for (int32_t c = first_child(die); c >= 0; c = next_sibling((uint32_t)c))
        if (tag_of((uint32_t)c) == T_subrange_type) nel *= subrange_elements((uint32_t)c);
      if (bad) return -1;
      uint32_t *r = rec_words(6);
      if (!r) return -1;
      r[0] = 0;
      r[1] = info_word(K_ARRAY, 0, 0);
      r[2] = 0;
      r[3] = elem;
      r[4] = state[1];
      r[5] = nel;
      id = rec_end(6);
      break;
    }
    case T_enumeration_type: {
      int64_t size = num(die, A_byte_size, 0);
      if (bad) return -1;
      if (size == 0) size = 4;
      id = size == 1 || size == 2 || size == 4 ? encode_enum32(die, (uint32_t)size) : encode_enum64(die, size);
      break;
    }
    case T_subroutine_type:
      id = encode_proto(die);
      break;
    case T_unspecified_type:
      return 0;
    default:
      return -1; /* a type pahole cannot encode (the JavaScript says which), or a type tag */
  }
  if (bad || id == 0) return -1;
  return id;
}

/* Is `die` a base type named "int"? (types.ts encodeCuTypes: d.name(die) === 'int') */
static int is_int(uint32_t die) {
  if (tag_of(die) != T_base_type) return 0;
  uint32_t n;
  const uint8_t *s = str_of(die, A_name, &n);
  return s && n == 3 && s[0] == 'i' && s[1] == 'n' && s[2] == 't';
}

/*
 * The types of unit `ui` (order.ts cuTypes, types.ts encodeCuTypes) after the type ids up to
 * `first_id_off` (btf.typeCount() - 1). `st`: has_index_type, array_index_id, need_index_type,
 * read and updated as EncoderState's. Returns the number of types added, or ENC_BAIL (nothing
 * of the unit kept: the own string mirror is rolled back, so a sync follows as before).
 * Results: btfkit_enc_out().
 */
int32_t btfkit_enc_unit(uint32_t ui, uint32_t first_id_off, uint32_t *st) {
  if (ui >= in.n_units) return ENC_BAIL;
  unit = in.units + ui * UNIT_WORDS;
  unit_first = unit[U_FIRST];
  unit_end = unit[U_END_DIE];
  id_off = first_id_off;
  state = st;
  bad = 0;
  gathered_die = 0xffffffffu;
  rec.n = offs.n = order.n = 0;
  strs_mark = own_len;
  uint32_t saved_cache_count = cache_count;
  uint32_t saved_pool_len = pool_len;
  uint32_t saved_state[3] = {st[0], st[1], st[2]};
  uint32_t nd = unit_end - unit_first;
  if (reserve(&small_id, &small_cap, (nd + 1) * 4, 0, 1 << 14)) return ENC_BAIL;
  __builtin_memset(small_id, 0, nd * 4);
  uint32_t ulen = unit[U_END] - unit[U_OFFSET];
  unit_dies_len = 0;
  if (reserve(&unit_dies, &unit_dies_cap, ulen * 4, 0, 1 << 18)) return ENC_BAIL;
  unit_dies_len = ulen;
  for (uint32_t d = unit_first; d < unit_end; d++) {
    uint32_t rel = in.off[d] - unit[U_OFFSET];
    if (rel < ulen) unit_dies[rel] = d;
  }
  int ok = 1;
  /* order.ts cuTypes */
  for (int32_t c = first_child(unit_first); c >= 0 && ok; c = next_sibling((uint32_t)c)) {
    if (visit((uint32_t)c, 0)) ok = 0;
    uint32_t tag = tag_of((uint32_t)c);
    if (ok && is_type_tag(tag) && tag != T_unspecified_type && tag != T_LLVM_annotation && add_order((uint32_t)c)) ok = 0;
  }
  if (ok && !st[0]) {
    int32_t k = -1;
    for (uint32_t i = 0; i < order.n; i++)
      if (is_int(order.v[i])) {
        k = (int32_t)i;
        break;
      }
    if (bad) ok = 0;
    st[0] = k >= 0;
    st[1] = id_off + (k >= 0 ? (uint32_t)k + 1 : order.n + 1);
  }
  uint32_t skipped = 0;
  for (uint32_t k = 0; ok && k < order.n; k++) {
    int64_t id = encode_type(order.v[k]);
    if (id < 0) ok = 0;
    else if (id == 0) skipped++;
    else if ((uint32_t)id != id_off + k + 1 - skipped) ok = 0;
  }
  if (ok && st[2] && !st[0]) {
    static const uint8_t int_name[] = "int";
    if (!add_int(int_name, 3, 4, 1)) ok = 0;
    st[0] = 1;
  }
  if (!ok || bad) {
    /* roll back: the strings interned for this unit are forgotten (the cache too) */
    if (cache_count != saved_cache_count) {
      for (uint32_t i = 0; i <= cache_mask; i++) {
        uint32_t *e = cache + 4 * i;
        if (e[1] != 0 && e[1] - 1 >= saved_pool_len) {
          /* entries added in this unit: removed, then the table rebuilt to keep probing right */
          e[1] = 0;
        }
      }
      uint32_t *old = cache;
      uint32_t cap = cache_mask + 1;
      cache = 0;
      cache_count = 0;
      cache_mask = cap - 1;
      uint32_t *t = alloc(cap * 16);
      if (!t) return ENC_BAIL;
      __builtin_memset(t, 0, cap * 16);
      cache = t;
      for (uint32_t i = 0; i < cap; i++) {
        uint32_t *e = old + 4 * i;
        if (e[1] == 0) continue;
        for (uint32_t j = e[0] & cache_mask;; j = (j + 1) & cache_mask) {
          if (t[4 * j + 1] == 0) {
            __builtin_memcpy(t + 4 * j, e, 16);
            cache_count++;
            break;
          }
        }
      }
    }
    pool_len = saved_pool_len;
    own_len = strs_mark;
    __builtin_memset(pos_cache, 0, sizeof pos_cache);
    st[0] = saved_state[0];
    st[1] = saved_state[1];
    st[2] = saved_state[2];
    return ENC_BAIL;
  }
  out.words = rec.v;
  out.n_words = rec.n;
  out.offs = offs.v;
  out.n_types = offs.n;
  out.order = order.v;
  out.n_order = order.n;
  out.small_id = small_id;
  out.n_small = nd;
  out.strs = own + strs_mark;
  out.strs_len = own_len - strs_mark;
  return (int32_t)offs.n;
}

/* ------------------------------------------------------------------ the DIE index (info.ts indexDies) */

/* A growable byte buffer in the arena (reserve). */
struct bvec {
  uint8_t *p;
  uint32_t len;
  uint32_t cap;
};

static int bvec_room(struct bvec *b, uint32_t more) {
  return reserve(&b->p, &b->cap, b->len + more, b->len, 4096);
}

static int bvec_append(struct bvec *b, const void *src, uint32_t n) {
  if (bvec_room(b, n)) return -1;
  copy(b->p + b->len, src, n);
  b->len += n;
  return 0;
}

/* The abbreviations as the JavaScript parsed them (Abbrevs' arrays, appended unit by unit). */
static struct bvec ab_tag, ab_children, ab_attr_start, ab_attr_count, ab_fixed, at_name, at_form, at_const, at_size, at_pos;
/* The DIE index: per DIE its offset, abbreviation, attribute data, parent, next sibling, unit. */
static struct bvec ix_off, ix_abbr, ix_attr_off, ix_par, ix_sib, ix_unit;
static uint32_t ix_n;

/*
 * Appends `n` abbreviations and `n_attrs` attributes, each array given as it is in Abbrevs
 * (tag, children, attrStart, attrCount, fixedSize; name, form, const (f64), size, pos). 0 or ENC_BAIL.
 */
int32_t btfkit_enc_abbrevs(uint32_t n, const uint32_t *tag, const uint8_t *children, const uint32_t *attr_start,
                           const uint32_t *attr_count, const int32_t *fixed, uint32_t n_attrs, const uint32_t *name,
                           const uint32_t *form, const double *cnst, const int32_t *size, const int32_t *pos) {
  if (bvec_append(&ab_tag, tag, n * 4) || bvec_append(&ab_children, children, n) || bvec_append(&ab_attr_start, attr_start, n * 4)
      || bvec_append(&ab_attr_count, attr_count, n * 4) || bvec_append(&ab_fixed, fixed, n * 4)
      || bvec_append(&at_name, name, n_attrs * 4) || bvec_append(&at_form, form, n_attrs * 4)
      || bvec_append(&at_const, cnst, n_attrs * 8) || bvec_append(&at_size, size, n_attrs * 4)
      || bvec_append(&at_pos, pos, n_attrs * 4))
    return ENC_BAIL;
  return 0;
}

/*
 * info.ts indexDies for unit `ui`, DIEs at [p, end) of .debug_info, its abbreviation table by
 * code (`by_code`, `n_codes` entries, -1 for none), appended to the index. The number of DIEs,
 * or ENC_BAIL where the JavaScript would throw (or meet a form this walk leaves to it): the
 * index is then as it was. The unit's DIEs: from btfkit_enc_index_at(first).
 */
int32_t btfkit_enc_index_unit(uint32_t ui, uint32_t p, uint32_t end, uint32_t off_size, uint32_t addr_size, uint32_t version,
                              const int32_t *by_code, uint32_t n_codes) {
  static uint32_t hdr[UNIT_WORDS];
  hdr[U_VERSION] = version;
  hdr[U_OFF_SIZE] = off_size;
  hdr[U_ADDR_SIZE] = addr_size;
  unit = hdr;
  bad = 0;
  if (end > in.info_len) return ENC_BAIL;
  const uint32_t *a_start = (const uint32_t *)ab_attr_start.p, *a_count = (const uint32_t *)ab_attr_count.p;
  const int32_t *fixed = (const int32_t *)ab_fixed.p;
  const uint8_t *children = ab_children.p;
  const int32_t *size = (const int32_t *)at_size.p;
  const uint32_t *form = (const uint32_t *)at_form.p;
  uint32_t n_ab = ab_tag.len / 4;
  int usual = off_size == 4 && addr_size == 8;
  uint32_t first = ix_n, n = ix_n;
  static int32_t parents[4096], last[4097];
  uint32_t depth = 0;
  last[0] = -1;
  /*
   * room for the most DIEs this unit can hold (one byte each); the first time, for as many as
   * info.ts reserves (gcc and clang average 10-12 bytes per DIE), so that the arrays are
   * seldom moved (pages never written cost nothing)
   */
  uint32_t most = end - p;
  if (ix_off.cap == 0) most += (in.info_len >> 3) + 1024;
  if (bvec_room(&ix_off, most * 4) || bvec_room(&ix_abbr, most * 4) || bvec_room(&ix_attr_off, most * 4)
      || bvec_room(&ix_par, most * 4) || bvec_room(&ix_sib, most * 4) || bvec_room(&ix_unit, most * 4))
    return ENC_BAIL;
  uint32_t *off = (uint32_t *)(ix_off.p + 0), *abbr = (uint32_t *)ix_abbr.p, *attr_off = (uint32_t *)ix_attr_off.p;
  int32_t *par = (int32_t *)ix_par.p, *sib = (int32_t *)ix_sib.p;
  uint32_t *unit_of = (uint32_t *)ix_unit.p;
  const uint8_t *d = in.info;
  while (p < end) {
    uint32_t die_start = p;
    uint32_t code = d[p];
    if (code < 0x80) p++;
    else {
      uint32_t next;
      uint64_t c = uleb(p, &next);
      if (bad || c > 0xffffffffu) return ENC_BAIL;
      code = (uint32_t)c;
      p = next;
    }
    if (code == 0) {
      if (depth == 0) continue;
      depth--;
      continue;
    }
    int32_t k = code < n_codes ? by_code[code] : -1;
    if (k < 0 || (uint32_t)k >= n_ab) return ENC_BAIL;
    uint32_t die = n++;
    off[die] = die_start;
    abbr[die] = (uint32_t)k;
    attr_off[die] = p;
    par[die] = depth ? parents[depth - 1] : -1;
    sib[die] = -1;
    unit_of[die] = ui;
    int32_t prev = last[depth];
    if (prev >= 0) sib[prev] = (int32_t)die;
    last[depth] = (int32_t)die;
    int32_t fs = usual ? fixed[k] : -1;
    if (fs >= 0) p += (uint32_t)fs;
    else {
      for (uint32_t a = a_start[k], e = a + a_count[k]; a < e; a++) {
        int32_t sz = size[a];
        if (sz >= 0) p += (uint32_t)sz;
        else if (sz == OFF_SIZED) p += off_size;
        else if (sz == ADDR_SIZED) p += addr_size;
        else {
          p = skip(form[a], p);
          if (bad) return ENC_BAIL;
        }
        if (p > end) return ENC_BAIL;
      }
    }
    if (p > end) return ENC_BAIL;
    if (children[k]) {
      if (depth + 1 >= 4096) return ENC_BAIL;
      parents[depth] = (int32_t)die;
      depth++;
      last[depth] = -1;
    }
  }
  ix_n = n;
  ix_off.len = ix_abbr.len = ix_attr_off.len = ix_par.len = ix_sib.len = ix_unit.len = n * 4;
  return (int32_t)(n - first);
}

/* Where the index arrays are (off, abbr, attr_off, par, sib): 5 words. */
uint32_t *btfkit_enc_index_at(void) {
  static uint32_t at[5];
  at[0] = (uint32_t)(uintptr_t)ix_off.p;
  at[1] = (uint32_t)(uintptr_t)ix_abbr.p;
  at[2] = (uint32_t)(uintptr_t)ix_attr_off.p;
  at[3] = (uint32_t)(uintptr_t)ix_par.p;
  at[4] = (uint32_t)(uintptr_t)ix_sib.p;
  return at;
}

/*
 * The index and abbreviations built here become the encoder's input (every unit indexed
 * here, every abbreviation appended): `n_dies` must be the index's size. 0 or ENC_BAIL.
 */
int32_t btfkit_enc_use_index(uint32_t n_dies) {
  if (n_dies != ix_n) return ENC_BAIL;
  in.off = (const uint32_t *)ix_off.p;
  in.abbr = (const uint32_t *)ix_abbr.p;
  in.attr_off = (const uint32_t *)ix_attr_off.p;
  in.par = (const int32_t *)ix_par.p;
  in.sib = (const int32_t *)ix_sib.p;
  in.unit_of = (const uint32_t *)ix_unit.p;
  in.n_dies = ix_n;
  in.a_tag = (const uint32_t *)ab_tag.p;
  in.a_children = ab_children.p;
  in.a_attr_start = (const uint32_t *)ab_attr_start.p;
  in.a_attr_count = (const uint32_t *)ab_attr_count.p;
  in.attr_name = (const uint32_t *)at_name.p;
  in.attr_form = (const uint32_t *)at_form.p;
  in.attr_const = (const double *)at_const.p;
  in.attr_size = (const int32_t *)at_size.p;
  in.attr_pos = (const int32_t *)at_pos.p;
  return 0;
}

/* The last unit's results (struct output). */
struct output *btfkit_enc_out(void) { return &out; }

/*
 * The kernel's strings and their table as they were left at the bottom of the arena by the
 * last btfkit_enc_hold_base (the next module on the same kernel finds them there: a batch
 * copies and indexes a kernel's strings once), or all zero.
 */
static struct {
  const uint8_t *strs;
  uint32_t len;
  const int32_t *slots;
  uint32_t mask;
  uint32_t top;
} held;

/* The kernel's strings and table in the input, first in the arena, are kept for the next module. */
void btfkit_enc_hold_base(void) {
  held.strs = in.base_strs;
  held.len = in.base_len;
  held.slots = in.base_slots;
  held.mask = in.base_mask;
  held.top = heap_top;
}

/*
 * The input struct for JavaScript to fill (struct input), everything reset; with keep_base,
 * the held kernel strings and table are the input's (JavaScript checked that they are this
 * module's kernel's), else they are dropped.
 */
struct input *btfkit_enc_input(uint32_t keep_base) {
  if (!keep_base || held.top == 0) __builtin_memset(&held, 0, sizeof held);
  __builtin_memset(&in, 0, sizeof in);
  in.base_strs = held.strs;
  in.base_len = held.len;
  in.base_slots = held.slots;
  in.base_mask = held.mask;
  own = 0;
  own_len = own_cap = 0;
  cache = 0;
  cache_mask = cache_count = 0;
  pool = 0;
  pool_len = pool_cap = 0;
  rec.v = offs.v = order.v = 0;
  rec.n = rec.cap = offs.n = offs.cap = order.n = order.cap = 0;
  small_id = 0;
  small_cap = 0;
  __builtin_memset(pos_cache, 0, sizeof pos_cache);
  unit_dies = 0;
  unit_dies_len = unit_dies_cap = 0;
  cand = 0;
  cand_mask = cand_count = 0;
  cand_scanned = cand_short_all = 0;
  struct bvec *bv[] = {&ab_tag, &ab_children, &ab_attr_start, &ab_attr_count, &ab_fixed, &at_name, &at_form, &at_const,
                       &at_size, &at_pos, &ix_off, &ix_abbr, &ix_attr_off, &ix_par, &ix_sib, &ix_unit};
  for (uint32_t i = 0; i < sizeof bv / sizeof bv[0]; i++) bv[i]->p = 0, bv[i]->len = bv[i]->cap = 0;
  ix_n = 0;
  heap_top = held.top ? held.top : (uint32_t)(uintptr_t)&__heap_base;
  return &in;
}

/*
 * btf__add_str for the JavaScript (the encoder's functions, variables and sections, while the
 * units' strings are interned here): the n bytes at s, no NUL among them. The kernel's offset,
 * else the own one (appended when new: the JavaScript appends it too). -1: out of memory (the
 * JavaScript then ends the encoder and does it itself).
 */
int32_t btfkit_enc_intern(const uint8_t *s, uint32_t n) {
  bad = 0;
  int64_t v = intern(s, n);
  /* bad: the kernel's table could not be had (its answer unknown) */
  return v < 0 || v > 0x7fffffff || bad ? -1 : (int32_t)v;
}

/* After the input is filled: the cache made. 0 or ENC_BAIL. */
int32_t btfkit_enc_init(void) {
  return cache_grow() ? ENC_BAIL : 0;
}
