/*
 * btfkit's WebAssembly kernels: the loops that run once over a whole kernel's BTF in every
 * command that loads one (a vmlinux has ~120k strings and ~110k types), written in C so that
 * they run as compiled code from their first iteration. The same loops in JavaScript spend most
 * of a one-shot command's first pass in V8's interpreter and baseline tiers, before the
 * optimizing compiler has caught up.
 *
 * Built by scripts/build-accel-wasm.sh (clang, freestanding, WebAssembly SIMD); the module is
 * committed (accel.wasm) and embedded, base64, in accel-wasm.ts. Loaded by accel.ts, which
 * lays the inputs out in the module's memory and copies the results out. Each function has a
 * JavaScript twin that runs where WebAssembly cannot (a test checks that both give the same
 * result on a real kernel):
 *
 *  btfkit_strindex_build: src/model/strindex.ts, StrIndex's constructor (strindex.h, which encode.c
 *    shares);
 *  btfkit_index_records: src/format/parse.ts indexRecords, for BTF without a base or a layout
 *    section (a kernel's);
 *  btfkit_apply_rela64: src/dwarf/sections.ts applyRelocations, for little-endian ELF64 RELA
 *    sections (a module's .rela.debug_info: ~13k entries in a small one);
 *  btfkit_dedup_prep, btfkit_dedup_types: dedup.c.
 */

#include <stdint.h>

#include "btf.h"
#include "strindex.h"

/* StrIndex's constructor (strindex.h strindex_build). */
int32_t btfkit_strindex_build(const uint8_t *s, uint32_t len, int32_t *slots, uint32_t mask) {
  return strindex_build(s, len, slots, mask);
}

/* ------------------------------------------------------------------ parse.ts indexRecords */

/* What stopped the walk (parse.ts IDX_*). */
#define IDX_UNKNOWN_KIND 1
#define IDX_PAST_END 2

/*
 * The kind tables the walk reads, 32 bytes each, indexed by kind (src/format/kinds.ts; parse.ts
 * SANITY_*), passed by the caller so that there is one copy of them.
 */
struct kind_tables {
  int8_t info_words[32];
  int8_t elem_words[32];
  uint8_t ref1[32];
  uint8_t ref2[32];
  uint8_t stride[32];
  int8_t elem_str[32];
  int8_t elem_id[32];
  int8_t elem_start[32];
};

/* parse.ts RecordIndex, as btfkit_index_records leaves it. */
struct index_out {
  uint32_t n, w, err, rw, suspect, max_ref;
};

/* The sanity pre-check of the record at word o (n records entered, this one included). */
static inline void index_checks(const uint32_t *words, uint32_t o, uint32_t kind, uint32_t vlen, uint32_t n,
                                const uint32_t *offs, uint32_t str_limit, uint32_t kind_mask,
                                const struct kind_tables *kt, uint32_t *max_ref, uint32_t *suspect) {
  uint32_t m = *max_ref;
  uint32_t r = kt->ref1[kind];
  if (r != 0 && words[o + r] > m) m = words[o + r];
  r = kt->ref2[kind];
  if (r != 0 && words[o + r] > m) m = words[o + r];
  uint32_t stride = kt->stride[kind];
  if (stride != 0) {
    int32_t name_at = kt->elem_str[kind], ref_at = kt->elem_id[kind];
    for (uint32_t j = 0, p = o + (uint32_t)kt->elem_start[kind]; j < vlen; j++, p += stride) {
      if (name_at >= 0 && words[p + (uint32_t)name_at] >= str_limit) *suspect = 1;
      if (ref_at >= 0 && words[p + (uint32_t)ref_at] > m) m = words[p + (uint32_t)ref_at];
    }
  }
  if (kind == K_FUNC) {
    /* refers to an earlier FUNC_PROTO (ids from 1: there is no base) */
    uint32_t t = words[o + 2];
    if (t < 1 || t - 1 >= n - 1 || ((words[offs[t - 1] + 1] >> 24) & kind_mask) != K_FUNC_PROTO) *suspect = 1;
  }
  *max_ref = m;
}

/*
 * At most `left` records from word w: one call per chunk of records, so that the later chunks
 * run as V8's optimized code (see strindex.h's enter). Returns the word position where it
 * stopped; out->err is set when a record is of an unknown kind or runs past the end.
 */
__attribute__((noinline)) static uint32_t index_chunk(const uint32_t *words, uint32_t w, uint32_t type_len, uint32_t left,
                                                       uint32_t *offs, uint32_t str_limit, uint32_t kind_mask,
                                                       uint32_t vlen_mask, uint32_t max_kind,
                                                       const struct kind_tables *kt, struct index_out *out) {
  uint32_t n = out->n, max_ref = out->max_ref, suspect = out->suspect;
  for (; left != 0 && (uint64_t)w * 4 + 12 <= type_len; left--) {
    uint32_t info = words[w + 1];
    uint32_t kind = (info >> 24) & kind_mask;
    uint32_t vlen = info & vlen_mask;
    if (kind == 0 || kind > max_kind) {
      out->err = IDX_UNKNOWN_KIND;
      break;
    }
    uint64_t rw = 3 + (uint64_t)kt->info_words[kind] + (uint64_t)kt->elem_words[kind] * vlen;
    if (((uint64_t)w + rw) * 4 > type_len) {
      out->err = IDX_PAST_END;
      out->rw = (uint32_t)rw;
      break;
    }
    offs[n++] = w;
    /* as parse.ts: a bad name makes the record suspect, and the rest of it is not looked at */
    if (words[w] >= str_limit) suspect = 1;
    else index_checks(words, w, kind, vlen, n, offs, str_limit, kind_mask, kt, &max_ref, &suspect);
    w += (uint32_t)rw;
  }
  out->n = n;
  out->max_ref = max_ref;
  out->suspect = suspect;
  return w;
}

/*
 * parse.ts indexRecords for a BTF without a base or a layout section: the word offset of each
 * record of words[0, type_len / 4) in offs (room for type_len / 12 + 1), and the sanity
 * pre-check (string offsets below str_limit, the largest referenced id, FUNC after its
 * FUNC_PROTO). Kinds above max_kind are unknown. Fills *o as parse.ts's RecordIndex.
 */
void btfkit_index_records(const uint32_t *words, uint32_t type_len, uint32_t *offs, uint32_t str_limit, uint32_t kind_mask,
                          uint32_t vlen_mask, uint32_t max_kind, const struct kind_tables *kt, struct index_out *o) {
  uint32_t w = 0;
  o->n = o->w = o->err = o->rw = o->suspect = o->max_ref = 0;
  if (max_kind > 31) max_kind = 31;
  for (;;) {
    uint32_t n0 = o->n;
    w = index_chunk(words, w, type_len, 4096, offs, str_limit, kind_mask, vlen_mask, max_kind, kt, o);
    if (o->err != 0 || o->n - n0 < 4096) break;
  }
  o->w = w;
}

/* ------------------------------------------------------------------ src/dwarf/sections.ts applyRelocations */

#define EM_X86_64 62
#define EM_AARCH64 183

/* sections.ts relocWidth: bytes a relocation type writes (0: nothing to do, -1: not supported). */
static int32_t reloc_width(uint32_t machine, uint32_t type) {
  if (machine == EM_X86_64) {
    switch (type) {
      case 0: return 0;
      case 1: return 8;
      case 10: case 11: return 4;
      default: return -1;
    }
  }
  if (machine == EM_AARCH64) {
    switch (type) {
      case 0: return 0;
      case 257: return 8;
      case 258: return 4;
      default: return -1;
    }
  }
  return -1;
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

/*
 * sections.ts applyRelocations for a little-endian ELF64 SHT_RELA section: the n entries of
 * `rela` (24 bytes each) applied to out[0, out_len), symbol values from `values` (st_value as
 * the JavaScript numbers it has). Returns -1 when every entry was applied, else the index of
 * the first entry the JavaScript must look at (a type it does not support, a symbol out of the
 * table, a place outside the section, a value past 2^53 where its numbers stop being exact):
 * the caller then does the whole section in JavaScript, which reports it.
 */
int32_t btfkit_apply_rela64(uint8_t *out, uint32_t out_len, const uint8_t *rela, uint32_t n, const double *values,
                            uint32_t n_values, uint32_t machine) {
  const double exact = 9007199254740992.0; /* 2^53 */
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *p = rela + 24 * (uint64_t)i;
    uint64_t off = load64(p);
    uint32_t type = load32(p + 8), sym = load32(p + 12);
    int64_t addend = (int64_t)load64(p + 16);
    int32_t width = reloc_width(machine, type);
    if (width == 0) continue;
    if (width < 0 || sym >= n_values || off > out_len || out_len - off < (uint64_t)width) return (int32_t)i;
    double value = values[sym];
    if (!(value >= 0 && value < exact) || addend <= -(int64_t)exact || addend >= (int64_t)exact) return (int32_t)i;
    uint64_t v = (uint64_t)value + (uint64_t)addend;
    if (width == 8) __builtin_memcpy(out + off, &v, 8);
    else {
      uint32_t v32 = (uint32_t)v;
      __builtin_memcpy(out + off, &v32, 4);
    }
  }
  return -1;
}
