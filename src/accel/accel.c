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
 *  btfkit_strindex_build: src/model/strindex.ts, StrIndex's constructor;
 *  btfkit_dedup_prep: src/split/dedup/prim.ts, dedupPrep's pass over the base types.
 */

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
 * Enters every string of the section s[0, len) (NUL-terminated, s[len - 1] == 0, 16 readable
 * bytes after it) in the open-addressing table `slots` of mask + 1 (offset + 1, hash) pairs,
 * zeroed by the caller: the first of equal strings wins, in section order, as StrIndex does.
 * Returns the number of entries, or -1 when they would fill more than half of the table (the
 * caller then retries with a larger one).
 */
int32_t btfkit_strindex_build(const uint8_t *s, uint32_t len, int32_t *slots, uint32_t mask) {
  uint32_t count = 0;
  uint32_t off = 0;
  const v128_t zero = wasm_i8x16_splat(0);
  while (off < len) {
    /* the string's end: its NUL, sixteen bytes at a time */
    uint32_t e = off;
    for (;;) {
      uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(s + e), zero));
      if (m != 0) {
        e += __builtin_ctz(m);
        break;
      }
      e += 16;
    }
    if (e > len) e = len;
    uint32_t n = e - off;
    uint32_t h = hash_bytes(s + off, n);
    int32_t tag = (int32_t)h;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
      int32_t v = slots[2 * i];
      if (v == 0) {
        if ((count + 1) * 2 > mask + 1) return -1;
        slots[2 * i] = (int32_t)(off + 1);
        slots[2 * i + 1] = tag;
        count++;
        break;
      }
      if (slots[2 * i + 1] != tag) continue;
      uint32_t o = (uint32_t)v - 1;
      if (s[o + n] != 0) continue;
      uint32_t j = 0;
      while (j < n && s[o + j] == s[off + j]) j++;
      if (j == n) break; /* already there: the first occurrence stays */
    }
    off = e + 1;
  }
  return (int32_t)count;
}

/* ---------------------------------------------------------------------------------------------
 * btfkit_dedup_prep: src/split/dedup/prim.ts dedupPrep's loop over the base types (a kernel's
 * ~110k), with the candidate tables of src/split/dedup/table.ts (CandidateTable) and the
 * signatures of state.ts: the same buckets, chains, growth parity and entries, word for word,
 * so that the JavaScript dedup continues from the tables this builds.
 */

enum {
  K_UNKN = 0, K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7,
  K_TYPEDEF = 8, K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13,
  K_VAR = 14, K_DATASEC = 15, K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19,
};

/* A CandidateTable's state, as table.ts keeps it (ents: four words per entry). */
struct table {
  int32_t *bk;
  uint32_t shift;
  int32_t *ents;
  uint32_t ents_len;
  uint32_t top;
  uint32_t cap;
  uint32_t odd;
  uint32_t size;
};

#define E 4

static inline uint32_t bucket(const struct table *t, uint32_t key) {
  return ((key ^ (key >> 15)) * 0x9e3779b1u) >> t->shift;
}

/* table.ts head(): the chain of bucket b in order for the current growth parity. */
static uint32_t head(struct table *t, uint32_t b) {
  uint32_t v = (uint32_t)t->bk[b];
  if ((v & 1) == t->odd) return v >> 1;
  int32_t *ents = t->ents;
  uint32_t prev = 0, cur = v >> 1;
  while (cur != 0) {
    uint32_t next = (uint32_t)ents[cur - E + 3];
    ents[cur - E + 3] = (int32_t)prev;
    prev = cur;
    cur = next;
  }
  t->bk[b] = (int32_t)((prev << 1) | t->odd);
  return prev;
}

static void count(struct table *t) {
  if (t->cap == 0 || ((uint64_t)(t->size + 1) * 4) / 3 > t->cap) {
    t->cap = t->cap == 0 ? 4 : t->cap * 2;
    t->odd ^= 1;
  }
  t->size++;
}

static void skip(struct table *t, uint32_t n) {
  uint32_t cap = t->cap, odd = t->odd, c = t->size;
  uint32_t end = c + n;
  while (c < end) {
    uint32_t at = c;
    if (cap != 0) {
      uint32_t g = (uint32_t)((3 * ((uint64_t)cap + 1) + 3) / 4) - 1;
      if (g > at) at = g;
    }
    if (at >= end) break;
    cap = cap == 0 ? 4 : cap * 2;
    odd ^= 1;
    c = at + 1;
  }
  t->cap = cap;
  t->odd = odd;
  t->size = end;
}

/* Returns 0, or -1 when the entries would overflow the room given. */
static int link(struct table *t, uint32_t key, uint32_t value, uint32_t off) {
  uint32_t e = t->top;
  if (e + E > t->ents_len) return -1;
  t->top = e + E;
  uint32_t b = bucket(t, key);
  uint32_t h = head(t, b);
  int32_t *ents = t->ents;
  ents[e] = (int32_t)key;
  ents[e + 1] = (int32_t)value;
  ents[e + 2] = (int32_t)off;
  ents[e + 3] = (int32_t)h;
  t->bk[b] = (int32_t)(((e + E) << 1) | t->odd);
  return 0;
}

static inline int has_bit(const uint32_t *a, uint32_t off) {
  return (a[off >> 5] >> (off & 31)) & 1;
}

/* prim.ts couldMatch: can an own type equal this anonymous base type (names: ownNames)? */
static int could_match(const uint32_t *w, uint32_t o, uint32_t k, const uint32_t *elem_bits,
                       const uint8_t *anon_kinds, uint32_t anon_enum_fwd) {
  uint32_t n = w[o + 1] & 0xffff;
  uint32_t step;
  switch (k) {
    case K_STRUCT: case K_UNION:
      if (!anon_kinds[k]) return 0;
      step = 3;
      break;
    case K_ENUM: case K_ENUM64:
      if (!anon_kinds[K_ENUM] && !anon_kinds[K_ENUM64]) return 0;
      if (anon_enum_fwd) return 1;
      step = k == K_ENUM ? 2 : 3;
      break;
    case K_FUNC_PROTO:
      if (!anon_kinds[k]) return 0;
      step = 2;
      break;
    default:
      return anon_kinds[k] == 1;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t m = w[o + 3 + step * i];
    if (m != 0 && !has_bit(elem_bits, m)) return 0;
  }
  return 1;
}

#define H(h, x) ((h) * 31u + (x))

static inline void mark(uint32_t *a, uint32_t off, uint32_t limit) {
  if (off < limit) a[off >> 5] |= 1u << (off & 31);
}

/*
 * prim.ts ownNames for deduplicated strings (an own string offset, never equal to a base one,
 * marks nothing): the names of the own types [start, type_count) in `bits`, the element
 * names of the anonymous ones in `elem_bits` (both zeroed by the caller, limit / 32 + 1
 * words), their kinds in `anon_kinds` (32 bytes, zeroed), and whether one is a valueless enum.
 */
static uint32_t own_names(const uint32_t *w, const uint32_t *off, uint32_t start, uint32_t type_count,
                          uint32_t limit, uint32_t *bits, uint32_t *elem_bits, uint8_t *anon_kinds) {
  uint32_t anon_enum_fwd = 0;
  for (uint32_t id = start; id < type_count; id++) {
    uint32_t o = off[id];
    uint32_t name = w[o];
    if (name != 0) {
      mark(bits, name, limit);
      continue;
    }
    uint32_t k = (w[o + 1] >> 24) & 0x1f;
    uint32_t n = w[o + 1] & 0xffff;
    anon_kinds[k] = 1;
    uint32_t step;
    switch (k) {
      case K_STRUCT: case K_UNION: case K_ENUM64: step = 3; break;
      case K_ENUM: case K_FUNC_PROTO: step = 2; break;
      default: continue;
    }
    for (uint32_t i = 0; i < n; i++) mark(elem_bits, w[o + 3 + step * i], limit);
    if ((k == K_ENUM || k == K_ENUM64) && n == 0) anon_enum_fwd = 1;
  }
  return anon_enum_fwd;
}

/*
 * The base ids [1, start): map[id] = id, kinds[id] set, and each base type that an own type could equal hashed into `t` (enums also into `et` under
 * their whole signature, and the names of valueless ones appended to enum_fwd_names, whose
 * count is returned in *n_enum_fwd). w/off as state.ts's DedupState (off[0]: void's three
 * zero words). The own names are the caller's (names_given: prim.ts ownNames, for strings not
 * yet deduplicated) or found here (own_names; bits, elem_bits and anon_kinds zeroed). Returns 0, -id for a base type of unknown kind, or -0x7fffffff when a table's
 * room is exhausted (the caller then runs its JavaScript twin).
 */
int32_t btfkit_dedup_prep(const uint32_t *w, const uint32_t *off, uint32_t start, uint32_t type_count,
                          uint32_t limit, int32_t *map, uint8_t *kinds, uint32_t *bits, uint32_t *elem_bits,
                          uint8_t *anon_kinds, uint32_t names_given, uint32_t anon_enum_fwd,
                          struct table *t, struct table *et, uint32_t *enum_fwd_names, uint32_t *n_enum_fwd) {
  uint32_t skipped = 0, nfwd = 0;
  if (!names_given) anon_enum_fwd = own_names(w, off, start, type_count, limit, bits, elem_bits, anon_kinds);
  for (uint32_t id = 1; id < start; id++) map[id] = (int32_t)id;
  for (uint32_t id = 1; id < start; id++) {
    uint32_t o = off[id];
    uint32_t info = w[o + 1];
    uint32_t k = (info >> 24) & 0x1f;
    kinds[id] = (uint8_t)k;
    if (k == K_VAR || k == K_DATASEC) continue;
    if (k == K_UNKN || k > K_ENUM64) return -(int32_t)id;
    uint32_t name = w[o];
    if (name != 0 ? !has_bit(bits, name) : !could_match(w, o, k, elem_bits, anon_kinds, anon_enum_fwd)) {
      skipped++;
      continue;
    }
    if (skipped) {
      skip(t, skipped);
      skipped = 0;
    }
    uint32_t h;
    uint32_t n = info & 0xffff;
    switch (k) {
      case K_INT: case K_DECL_TAG:
        h = H(H(H(name, info), w[o + 2]), w[o + 3]);
        break;
      case K_ENUM: case K_ENUM64: {
        count(t);
        if (link(t, name, id, o)) return -0x7fffffff;
        uint32_t nw = 3 + n * (k == K_ENUM ? 2 : 3);
        uint32_t s = w[o];
        for (uint32_t i = 1; i < nw; i++) s = H(s, w[o + i]);
        et->odd = t->odd;
        if (link(et, s, id, o)) return -0x7fffffff;
        if (n == 0) enum_fwd_names[nfwd++] = name;
        continue;
      }
      case K_STRUCT: case K_UNION:
        h = H(H(name, info), w[o + 2]);
        for (uint32_t i = 0, p = o + 3; i < n; i++, p += 3) {
          /* a base record refers to base ids only (parse checks it); else: the JavaScript twin */
          if (w[p + 1] >= start) return -0x7fffffff;
          h = H(H(H(h, w[p]), w[p + 2]), w[off[w[p + 1]]]);
        }
        break;
      case K_ARRAY:
        h = H(H(H(H(H(name, info), w[o + 2]), w[o + 3]), w[o + 4]), w[o + 5]);
        break;
      case K_FUNC_PROTO:
        h = H(H(name, info), w[o + 2]);
        for (uint32_t i = 0, p = o + 3; i < n; i++, p += 2) h = H(H(h, w[p]), w[p + 1]);
        break;
      default: /* CONST VOLATILE RESTRICT PTR FWD TYPEDEF FUNC FLOAT TYPE_TAG */
        h = H(H(name, info), w[o + 2]);
        break;
    }
    count(t);
    if (link(t, h, id, o)) return -0x7fffffff;
  }
  if (skipped) skip(t, skipped);
  *n_enum_fwd = nfwd;
  return 0;
}
