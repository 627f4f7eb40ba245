/*
 * parse.ts indexRecords in C (dedup.c exports it as btfkit_index_records): the one walk over a
 * kernel's ~110k records that every command loading a kernel makes, run where the dedup will
 * find the records (dedup.ts keeps them there for btfkit_dedup_all: a module's encode copies a
 * kernel's 5.7 MB of records into WebAssembly memory once, not twice).
 */

#ifndef BTFKIT_WALK_H
#define BTFKIT_WALK_H

#include <stdint.h>

#include "btf.h"

/* What stopped the walk (parse.ts IDX_*). */
#define IDX_UNKNOWN_KIND 1
#define IDX_PAST_END 2

/*
 * The kind tables the walk reads, 32 bytes each, indexed by kind (src/format/kinds.ts; parse.ts
 * SANITY_*), passed by the caller so that there is one copy of them.
 */
struct walk_tables {
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
                                const struct walk_tables *kt, uint32_t *max_ref, uint32_t *suspect) {
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
 * run as V8's optimized code (a running WebAssembly loop stays in V8's baseline tier). Returns the word position where it
 * stopped; out->err is set when a record is of an unknown kind or runs past the end.
 */
__attribute__((noinline)) static uint32_t index_chunk(const uint32_t *words, uint32_t w, uint32_t type_len, uint32_t left,
                                                       uint32_t *offs, uint32_t str_limit, uint32_t kind_mask,
                                                       uint32_t vlen_mask, uint32_t max_kind,
                                                       const struct walk_tables *kt, struct index_out *out) {
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
static void walk_records(const uint32_t *words, uint32_t type_len, uint32_t *offs, uint32_t str_limit, uint32_t kind_mask,
                          uint32_t vlen_mask, uint32_t max_kind, const struct walk_tables *kt, struct index_out *o) {
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

#endif
