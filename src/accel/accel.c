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
 *  btfkit_strindex_cap, btfkit_strindex_build: src/model/strindex.ts, StrIndex's constructor (strindex.h, which encode.c
 *    shares);
 *  btfkit_apply_rela64: src/dwarf/sections.ts applyRelocations, for little-endian ELF64 RELA
 *    sections (a module's .rela.debug_info: ~13k entries in a small one);
 *  btfkit_index_records (walk.h), btfkit_dedup_prep, btfkit_dedup_types: dedup.c.
 */

#include <stdint.h>

#include "strindex.h"

/* StrIndex's table size for the section s[0, len) (strindex.h strindex_count, strindex_cap). */
uint32_t btfkit_strindex_cap(const uint8_t *s, uint32_t len) { return strindex_cap(strindex_count(s, len)); }

/* StrIndex's constructor (strindex.h strindex_build). */
int32_t btfkit_strindex_build(const uint8_t *s, uint32_t len, int32_t *slots, uint32_t mask) {
  return strindex_build(s, len, slots, mask);
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
