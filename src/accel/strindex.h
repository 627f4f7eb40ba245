/*
 * StrIndex's table of a BTF string section (src/model/strindex.ts), built in C: shared by
 * accel.c (StrIndex's constructor) and encode.c (the kernel's strings for btf__add_str). The
 * functions are static: each module has its own copy.
 */

#ifndef BTFKIT_STRINDEX_H
#define BTFKIT_STRINDEX_H

#include <stdint.h>
#include <wasm_simd128.h>

#define SEED 0x9e3779b1u
#define MIX 0x85ebca6bu

static inline uint32_t load32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

/* strindex.ts hashBytes: the length, then the first, middle and last four bytes. */
static inline uint32_t hash_bytes(const uint8_t *s, uint32_t n) {
  uint32_t h = (n ^ SEED) * MIX;
  if (n >= 4) {
    h = (h ^ load32(s)) * MIX;
    h = (h ^ load32(s + (n >> 1) - 2)) * MIX;
    h = (h ^ load32(s + n - 4)) * MIX;
  } else {
    for (uint32_t i = 0; i < n; i++) h = (h ^ s[i]) * MIX;
  }
  return h ^ (h >> 15);
}

/*
 * The end (its NUL) of the string at s[off], sixteen bytes at a time (16 bytes readable after
 * s[len - 1]), at most len.
 */
static inline uint32_t str_end(const uint8_t *s, uint32_t off, uint32_t len) {
  const v128_t zero = wasm_i8x16_splat(0);
  uint32_t e = off;
  for (;;) {
    uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(s + e), zero));
    if (m != 0) {
      e += __builtin_ctz(m);
      break;
    }
    e += 16;
  }
  return e > len ? len : e;
}

/*
 * One string of the section (from `off`): entered unless an equal one is there. Returns the
 * offset of the next string, or 0 when the table would be more than half full. Not inlined:
 * V8 runs a WebAssembly function in its baseline tier (Liftoff) until it has run a while, and
 * moves later *calls* to its optimized code; a loop that never returns stays in the baseline
 * tier, so the per-string work is a function called once per string.
 */
__attribute__((noinline)) static uint32_t enter(const uint8_t *s, uint32_t off, uint32_t len, int32_t *slots, uint32_t mask,
                                                uint32_t *count) {
  uint32_t e = str_end(s, off, len);
  uint32_t n = e - off;
  uint32_t h = hash_bytes(s + off, n);
  int32_t tag = (int32_t)h;
  for (uint32_t i = h & mask;; i = (i + 1) & mask) {
    int32_t v = slots[2 * i];
    if (v == 0) {
      if ((*count + 1) * 2 > mask + 1) return 0;
      slots[2 * i] = (int32_t)(off + 1);
      slots[2 * i + 1] = tag;
      ++*count;
      break;
    }
    if (slots[2 * i + 1] != tag) continue;
    uint32_t o = (uint32_t)v - 1;
    if (s[o + n] != 0) continue;
    uint32_t j = 0;
    while (j < n && s[o + j] == s[off + j]) j++;
    if (j == n) break; /* already there: the first occurrence stays */
  }
  return e + 1;
}

/* The NUL bytes of s[0, len) (16 readable bytes after it): the strings, counted with their repeats. */
static uint32_t strindex_count(const uint8_t *s, uint32_t len) {
  const v128_t zero = wasm_i8x16_splat(0);
  uint32_t n = 0, p = 0;
  for (; p + 16 <= len; p += 16) n += __builtin_popcount(wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(s + p), zero)));
  for (; p < len; p++) n += s[p] == 0;
  return n;
}

/* strindex.ts tableSlots: the slots for `count` strings, at most half full, at least 1024. */
static uint32_t strindex_cap(uint32_t count) {
  uint32_t cap = 1024;
  while (cap < 2 * (uint64_t)count && cap < (1u << 30)) cap <<= 1;
  return cap;
}

/*
 * Enters every string of the section s[0, len) (NUL-terminated, s[len - 1] == 0, 16 readable
 * bytes after it) in the open-addressing table `slots` of mask + 1 (offset + 1, hash) pairs,
 * zeroed by the caller: the first of equal strings wins, in section order, as StrIndex does.
 * Returns the number of entries, or -1 when they would fill more than half of the table (the
 * caller then retries with a larger one).
 */
static int32_t strindex_build(const uint8_t *s, uint32_t len, int32_t *slots, uint32_t mask) {
  uint32_t count = 0;
  for (uint32_t off = 0; off < len;) {
    off = enter(s, off, len, slots, mask, &count);
    if (off == 0) return -1;
  }
  return (int32_t)count;
}

#endif
