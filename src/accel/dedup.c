/*
 * libbpf's BTF dedup type stages in WebAssembly: the twin of src/split/dedup (prim.ts,
 * struct.ts, ref.ts, table.ts, the signatures and equality rules of state.ts), run by
 * accel.ts on the dedup state's arrays laid out in the module's memory. A dedup of a module's
 * split BTF against a kernel's ~110k types runs once per command, mostly before V8 has
 * optimized the JavaScript stages; compiled C runs at full speed from the first type.
 *
 * Approach: the same arrays and the same steps as the JavaScript, word for word, so that
 * either gives the same canonical map, rewritten records and candidate tables (the tests run
 * both: src/split/dedup/prep.test.ts and twin.test.ts). Every input is checked as the
 * JavaScript checks it; where the JavaScript would report an error (a reference loop, a cycle
 * in the canonical map, a kind out of place), this code stops with DEDUP_BAIL and the caller
 * runs the JavaScript stages from the start, which report it in their own words. No
 * allocation: the caller lays out every array, scratch included, at its largest size, or
 * (btfkit_dedup_all's struct walk stack and enum table) at the room it gives, past which this
 * code stops with DEDUP_BAIL too.
 *
 *  btfkit_index_records: parse.ts indexRecords for a BTF without a base (walk.h), its records
 *    left where btfkit_dedup_all reads the base's (dedup.ts).
 *  btfkit_dedup_prep: prim.ts dedupPrep's pass over the base types (and ownNames for
 *    deduplicated strings).
 *  btfkit_dedup_types: dedupPrimTypes, dedupStructTypes, dedupResolveFwds, dedupRefTypes.
 *  btfkit_dedup_all: all of a dedup whose strings are already deduplicated (a module's
 *    encoded BTF, merges), from the records as newState lays them out to the kept records.
 *
 * The work per type is in functions that are not inlined into the stages' loops: V8 runs a
 * WebAssembly function in its baseline tier (Liftoff) until it has run a while, then moves its
 * later calls to optimized code; a loop that runs on inside one call stays in the baseline tier.
 *
 * Reference behaviour: libbpf v1.7.0 btf.c btf_dedup_prep, btf_dedup_prim_types,
 * btf_dedup_struct_types, btf_dedup_resolve_fwds, btf_dedup_ref_types, as src/split/dedup
 * reproduces them (its files say how, and where it departs from libbpf's data structures).
 */

#include <stdint.h>

#include "btf.h"
#include "walk.h"

/* What a function returns when the JavaScript must take over (see above). */
#define DEDUP_BAIL (-0x7fffffff)
/* state.ts markers */
#define UNPROCESSED (-1)
#define IN_PROGRESS (-2)
/* struct.ts IDENTICAL_BUDGET */
#define IDENTICAL_BUDGET (1 << 20)

/* ------------------------------------------------------------------ candidate tables (table.ts) */

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

/* table.ts head(): the chain of bucket b, put in order for the current growth parity. */
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
  if (t->cap == 0 || ((uint64_t)t->size + 1) * 4 / 3 > t->cap) {
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

/* The first entry of `key` (a word position), or -1. */
static int32_t first(struct table *t, uint32_t key) {
  const int32_t *ents;
  int32_t e = (int32_t)head(t, bucket(t, key)) - E;
  ents = t->ents;
  while (e >= 0 && (uint32_t)ents[e] != key) e = ents[e + 3] - E;
  return e;
}

static int32_t next_of(const struct table *t, int32_t e) {
  const int32_t *ents = t->ents;
  uint32_t key = (uint32_t)ents[e];
  e = ents[e + 3] - E;
  while (e >= 0 && (uint32_t)ents[e] != key) e = ents[e + 3] - E;
  return e;
}

#define VALUE(t, e) ((uint32_t)(t)->ents[(e) + 1])
#define OFF_OF(t, e) ((uint32_t)(t)->ents[(e) + 2])

/* ------------------------------------------------------------------ signatures (state.ts) */

#define H(h, x) ((h) * 31u + (x))

static inline uint32_t hash_common(const uint32_t *w, uint32_t o) { return H(H(w[o], w[o + 1]), w[o + 2]); }
static inline uint32_t hash_typedef(const uint32_t *w, uint32_t o) { return H(w[o], w[o + 1]); }
static inline uint32_t hash_int_tag(const uint32_t *w, uint32_t o) { return H(hash_common(w, o), w[o + 3]); }
static inline uint32_t hash_array(const uint32_t *w, uint32_t o) {
  return H(H(H(hash_common(w, o), w[o + 3]), w[o + 4]), w[o + 5]);
}
static uint32_t hash_struct(const uint32_t *w, const uint32_t *off, uint32_t o) {
  uint32_t h = hash_common(w, o);
  uint32_t n = VLEN(w, o);
  for (uint32_t i = 0, p = o + 3; i < n; i++, p += 3) h = H(H(H(h, w[p]), w[p + 2]), w[off[w[p + 1]]]);
  return h;
}
static uint32_t hash_fn_proto(const uint32_t *w, uint32_t o) {
  uint32_t h = hash_common(w, o);
  uint32_t n = VLEN(w, o);
  for (uint32_t i = 0, p = o + 3; i < n; i++, p += 2) h = H(H(h, w[p]), w[p + 1]);
  return h;
}
static uint32_t hash_words(const uint32_t *w, uint32_t o, uint32_t n) {
  uint32_t h = w[o];
  for (uint32_t i = 1; i < n; i++) h = H(h, w[o + i]);
  return h;
}
static inline uint32_t enum_sig_words(const uint32_t *w, uint32_t o) {
  return 3 + VLEN(w, o) * (KIND(w, o) == K_ENUM ? 2 : 3);
}

/* ------------------------------------------------------------------ equality (state.ts) */

static inline int equal_common(const uint32_t *w, uint32_t a, uint32_t b) {
  return w[a] == w[b] && w[a + 1] == w[b + 1] && w[a + 2] == w[b + 2];
}
static inline int equal_typedef(const uint32_t *w, uint32_t a, uint32_t b) {
  return w[a] == w[b] && w[a + 1] == w[b + 1];
}
static inline int equal_int_tag(const uint32_t *w, uint32_t a, uint32_t b) {
  return equal_common(w, a, b) && w[a + 3] == w[b + 3];
}
static inline int is_any_enum(const uint32_t *w, uint32_t o) {
  uint32_t k = KIND(w, o);
  return k == K_ENUM || k == K_ENUM64;
}
static inline int is_enum_fwd(const uint32_t *w, uint32_t o) { return is_any_enum(w, o) && VLEN(w, o) == 0; }
static int equal_enum(const uint32_t *w, uint32_t a, uint32_t b) {
  if (!equal_common(w, a, b)) return 0;
  uint32_t n = VLEN(w, a) * (KIND(w, a) == K_ENUM ? 2 : 3);
  for (uint32_t i = 3; i < 3 + n; i++)
    if (w[a + i] != w[b + i]) return 0;
  return 1;
}
static int compat_enum(const uint32_t *w, uint32_t a, uint32_t b) {
  if (!is_enum_fwd(w, a) && !is_enum_fwd(w, b)) return equal_enum(w, a, b);
  return w[a] == w[b] && is_any_enum(w, a) && is_any_enum(w, b);
}
static int shallow_equal_struct(const uint32_t *w, uint32_t a, uint32_t b) {
  if (!equal_common(w, a, b)) return 0;
  uint32_t n = VLEN(w, a);
  for (uint32_t i = 0, p = 3; i < n; i++, p += 3)
    if (w[a + p] != w[b + p] || w[a + p + 2] != w[b + p + 2]) return 0;
  return 1;
}
static inline int compat_array(const uint32_t *w, uint32_t a, uint32_t b) {
  return equal_common(w, a, b) && w[a + 5] == w[b + 5];
}
static int compat_fn_proto(const uint32_t *w, uint32_t a, uint32_t b) {
  if (w[a] != w[b] || w[a + 1] != w[b + 1]) return 0;
  uint32_t n = VLEN(w, a);
  for (uint32_t i = 0, p = 3; i < n; i++, p += 2)
    if (w[a + p] != w[b + p]) return 0;
  return 1;
}

/* ------------------------------------------------------------------ prep (prim.ts dedupPrep) */

static inline int has_bit(const uint32_t *a, uint32_t off) { return (a[off >> 5] >> (off & 31)) & 1; }

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
    uint32_t k = KIND(w, o);
    uint32_t n = VLEN(w, o);
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

/* prim.ts couldMatch: can an own type equal this anonymous base type? */
static int could_match(const uint32_t *w, uint32_t o, uint32_t k, const uint32_t *elem_bits,
                       const uint8_t *anon_kinds, uint32_t anon_enum_fwd) {
  uint32_t n = VLEN(w, o);
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

/*
 * The base ids [1, start): map[id] = id, kinds[id] set, and each base type that an own type
 * could equal hashed into `t` (enums also into `et` under their whole signature, and the
 * names of valueless ones appended to enum_fwd_names, whose count is returned in
 * *n_enum_fwd). w/off as state.ts's DedupState (off[0]: void's three zero words). The own
 * names are the caller's (names_given: prim.ts ownNames, for strings not yet deduplicated) or
 * found here (own_names; bits, elem_bits and anon_kinds zeroed). Returns 0, -id for a base
 * type of unknown kind, or DEDUP_BAIL.
 */
/* The base pass's tables and enum names (btfkit_dedup_prep). */
struct prep {
  const uint32_t *w;
  const uint32_t *off;
  uint32_t start;
  struct table *t;
  struct table *et;
  uint32_t *enum_fwd_names;
  uint32_t nfwd;
};

/*
 * Enters base type `id` (record at `o`, kind k) in the tables. Not inlined: V8 moves later
 * *calls* of a WebAssembly function to its optimized code once it has run a while, never a
 * loop that is running (this pass is one call); returns 0 or DEDUP_BAIL.
 */
__attribute__((noinline)) static int32_t prep_enter(struct prep *pp, uint32_t id, uint32_t o, uint32_t k) {
  const uint32_t *w = pp->w;
  struct table *t = pp->t;
  uint32_t name = w[o];
  uint32_t n = VLEN(w, o);
  uint32_t h;
  switch (k) {
    case K_INT: case K_DECL_TAG:
      h = hash_int_tag(w, o);
      break;
    case K_ENUM: case K_ENUM64:
      count(t);
      if (link(t, name, id, o)) return DEDUP_BAIL;
      pp->et->odd = t->odd;
      if (link(pp->et, hash_words(w, o, enum_sig_words(w, o)), id, o)) return DEDUP_BAIL;
      if (n == 0) pp->enum_fwd_names[pp->nfwd++] = name;
      return 0;
    case K_STRUCT: case K_UNION:
      /* a base record refers to base ids only (parse checks it); else: the JavaScript twin */
      for (uint32_t i = 0, p = o + 4; i < n; i++, p += 3)
        if (w[p] >= pp->start) return DEDUP_BAIL;
      h = hash_struct(w, pp->off, o);
      break;
    case K_ARRAY:
      h = hash_array(w, o);
      break;
    case K_FUNC_PROTO:
      h = hash_fn_proto(w, o);
      break;
    default: /* CONST VOLATILE RESTRICT PTR FWD TYPEDEF FUNC FLOAT TYPE_TAG */
      h = hash_common(w, o);
      break;
  }
  count(t);
  return link(t, h, id, o) ? DEDUP_BAIL : 0;
}

/*
 * The base pass over the ids [from, to): one call per chunk of ids, so that the chunks after
 * the first few run as V8's optimized code (see above). Returns 0, -id or DEDUP_BAIL;
 * *skipped carries the count of types not entered into the next chunk.
 */
#define PREP_CHUNK 2048
__attribute__((noinline)) static int32_t prep_range(struct prep *pp, uint32_t from, uint32_t to, const uint32_t *bits,
                                                    const uint32_t *elem_bits, const uint8_t *anon_kinds,
                                                    uint32_t anon_enum_fwd, int32_t *map, uint8_t *kinds,
                                                    uint32_t *skipped) {
  const uint32_t *w = pp->w, *off = pp->off;
  uint32_t sk = *skipped;
  for (uint32_t id = from; id < to; id++) {
    map[id] = (int32_t)id;
    uint32_t o = off[id];
    uint32_t k = KIND(w, o);
    kinds[id] = (uint8_t)k;
    if (k == K_VAR || k == K_DATASEC) continue;
    if (k == K_UNKN || k > K_ENUM64) return -(int32_t)id;
    uint32_t name = w[o];
    if (name != 0 ? !has_bit(bits, name) : !could_match(w, o, k, elem_bits, anon_kinds, anon_enum_fwd)) {
      sk++;
      continue;
    }
    if (sk) {
      skip(pp->t, sk);
      sk = 0;
    }
    if (prep_enter(pp, id, o, k)) return DEDUP_BAIL;
  }
  *skipped = sk;
  return 0;
}

int32_t btfkit_dedup_prep(const uint32_t *w, const uint32_t *off, uint32_t start, uint32_t type_count,
                          uint32_t limit, int32_t *map, uint8_t *kinds, uint32_t *bits, uint32_t *elem_bits,
                          uint8_t *anon_kinds, uint32_t names_given, uint32_t anon_enum_fwd,
                          struct table *t, struct table *et, uint32_t *enum_fwd_names, uint32_t *n_enum_fwd) {
  struct prep pp = { .w = w, .off = off, .start = start, .t = t, .et = et, .enum_fwd_names = enum_fwd_names, .nfwd = 0 };
  uint32_t skipped = 0;
  if (!names_given) anon_enum_fwd = own_names(w, off, start, type_count, limit, bits, elem_bits, anon_kinds);
  for (uint32_t from = 1; from < start; from += PREP_CHUNK) {
    uint32_t to = start - from > PREP_CHUNK ? from + PREP_CHUNK : start;
    int32_t r = prep_range(&pp, from, to, bits, elem_bits, anon_kinds, anon_enum_fwd, map, kinds, &skipped);
    if (r != 0) return r;
  }
  if (skipped) skip(t, skipped);
  *n_enum_fwd = pp.nfwd;
  return 0;
}

/* ------------------------------------------------------------------ the type stages */

/* The dedup state (state.ts DedupState), with the scratch of the stages. */
struct dedup {
  uint32_t *w;
  const uint32_t *off;
  const uint8_t *kinds;
  int32_t *map;
  uint32_t start;
  uint32_t type_count;
  struct table *t;
  struct table *et;
  /* names of the valueless enums among the candidates, as bits by string offset */
  uint32_t *enum_fwd;
  uint32_t enum_fwd_limit;
  /* hypothetical map: canonical id -> candidate id + 1; the ids set, in order */
  int32_t *hypot;
  uint32_t *hypot_list;
  uint32_t hypot_cnt;
  uint32_t hypot_adjust_canon;
  int32_t budget;
  /* struct.ts StructCtx: the walk's stack (FRAME words per pair, room for s_frames) and first-child memo */
  uint32_t *s;
  uint32_t s_frames;
  int32_t *seen;
  uint32_t gen;
  uint32_t memo_c;
  uint32_t memo_k;
  uint32_t memo_gen;
  /* ref.ts refType's stack (4 words per frame) */
  uint32_t *rs;
  /* dedupResolveFwds' name table: (name + 1, value) pairs, fwd_mask + 1 of them */
  uint32_t *fwd;
  uint32_t fwd_mask;
};

static inline int enum_fwd_has(const struct dedup *d, uint32_t name) {
  return name < d->enum_fwd_limit && has_bit(d->enum_fwd, name);
}

/* state.ts tableAddEnum: a canonical enum entered under its name and its whole signature. */
static int table_add_enum(struct dedup *d, uint32_t id) {
  const uint32_t *w = d->w;
  uint32_t o = d->off[id];
  count(d->t);
  if (link(d->t, w[o], id, o)) return -1;
  d->et->odd = d->t->odd;
  if (link(d->et, hash_words(w, o, enum_sig_words(w, o)), id, o)) return -1;
  if (VLEN(w, o) == 0) {
    if (w[o] >= d->enum_fwd_limit) return -1;
    d->enum_fwd[w[o] >> 5] |= 1u << (w[o] & 31);
  }
  return 0;
}

static inline int table_add(struct dedup *d, uint32_t h, uint32_t id) {
  count(d->t);
  return link(d->t, h, id, d->off[id]);
}

/* The first candidate of signature h that `equal` finds equal to the record at o, or `none`. */
static uint32_t first_equal(struct dedup *d, uint32_t h, uint32_t o, int (*equal)(const uint32_t *, uint32_t, uint32_t), uint32_t none) {
  struct table *t = d->t;
  for (int32_t e = first(t, h); e >= 0; e = next_of(t, e)) {
    uint32_t c = VALUE(t, e);
    if (equal(d->w, o, d->off[c])) return c;
  }
  return none;
}

/* prim.ts primType: INT, ENUM, ENUM64, FWD and FLOAT (the only kinds it is called for). */
__attribute__((noinline)) static int prim_type(struct dedup *d, uint32_t id) {
  const uint32_t *w = d->w;
  const uint32_t *off = d->off;
  struct table *t = d->t;
  uint32_t o = off[id];
  uint32_t k = KIND(w, o);
  uint32_t new_id = id;
  uint32_t h = 0;
  switch (k) {
    case K_INT:
      h = hash_int_tag(w, o);
      new_id = first_equal(d, h, o, equal_int_tag, id);
      break;
    case K_ENUM: case K_ENUM64: {
      uint32_t name = w[o];
      if (VLEN(w, o) != 0 && !enum_fwd_has(d, name)) {
        struct table *et = d->et;
        uint32_t hs = hash_words(w, o, enum_sig_words(w, o));
        et->odd = t->odd;
        for (int32_t e = first(et, hs); e >= 0; e = next_of(et, e)) {
          uint32_t c = VALUE(et, e);
          if (equal_enum(w, o, off[c])) {
            new_id = c;
            break;
          }
        }
        d->map[id] = (int32_t)new_id;
        if (new_id == id && table_add_enum(d, id)) return -1;
        return 0;
      }
      for (int32_t e = first(t, name); e >= 0; e = next_of(t, e)) {
        uint32_t c = VALUE(t, e);
        uint32_t co = off[c];
        if (equal_enum(w, o, co)) {
          new_id = c;
          break;
        }
        if (compat_enum(w, o, co)) {
          if (is_enum_fwd(w, o)) {
            new_id = c;
            break;
          }
          d->map[c] = (int32_t)id;
        }
      }
      break;
    }
    case K_FWD: case K_FLOAT:
      h = hash_common(w, o);
      new_id = first_equal(d, h, o, equal_common, id);
      break;
    default:
      return -1;
  }
  d->map[id] = (int32_t)new_id;
  if (new_id != id) return 0;
  if (k == K_ENUM || k == K_ENUM64) return table_add_enum(d, id);
  return table_add(d, h, id);
}

/* state.ts resolveId: the map followed to its end; -1 on a cycle. */
static int32_t resolve_id(const struct dedup *d, uint32_t id) {
  const int32_t *map = d->map;
  int32_t guard = (int32_t)d->type_count;
  while (map[id] >= 0 && (uint32_t)map[id] != id) {
    id = (uint32_t)map[id];
    if (--guard < 0) return -1;
  }
  return (int32_t)id;
}

/* The two records of a kind without children (INT, ENUM, ENUM64, FWD, FLOAT) equal as the walks compare them. */
static int leaf_equal(const uint32_t *w, uint32_t a, uint32_t b, uint32_t k) {
  if (k == K_INT) return equal_int_tag(w, a, b);
  if (k == K_ENUM || k == K_ENUM64) return compat_enum(w, a, b);
  return equal_common(w, a, b);
}

/* struct.ts identical: are two candidate graphs the same (bounded by depth and budget)? */
static int identical(struct dedup *d, uint32_t id1, uint32_t id2, int depth) {
  const uint32_t *w = d->w;
  for (;;) {
    if (--d->budget < 0) return 0;
    if (depth <= 0) return 0;
    uint32_t a = d->off[id1];
    uint32_t b = d->off[id2];
    uint32_t k = KIND(w, a);
    if (k != KIND(w, b)) return 0;
    switch (k) {
      case K_UNKN:
        return 1;
      case K_INT: case K_ENUM: case K_ENUM64: case K_FWD: case K_FLOAT:
        return leaf_equal(w, a, b, k);
      case K_CONST: case K_VOLATILE: case K_RESTRICT: case K_PTR: case K_TYPEDEF:
      case K_FUNC: case K_TYPE_TAG:
        if (w[a + 1] != w[b + 1] || w[a] != w[b]) return 0;
        id1 = w[a + 2];
        id2 = w[b + 2];
        continue;
      case K_ARRAY:
        return compat_array(w, a, b);
      case K_STRUCT: case K_UNION: {
        if (!shallow_equal_struct(w, a, b)) return 0;
        uint32_t n = VLEN(w, a);
        for (uint32_t i = 0, p = 4; i < n; i++, p += 3) {
          if (w[a + p] == w[b + p]) continue;
          if (!identical(d, w[a + p], w[b + p], depth - 1)) return 0;
        }
        return 1;
      }
      case K_FUNC_PROTO: {
        if (!compat_fn_proto(w, a, b)) return 0;
        if (w[a + 2] != w[b + 2] && !identical(d, w[a + 2], w[b + 2], depth - 1)) return 0;
        uint32_t n = VLEN(w, a);
        for (uint32_t i = 0, p = 4; i < n; i++, p += 2) {
          if (w[a + p] == w[b + p]) continue;
          if (!identical(d, w[a + p], w[b + p], depth - 1)) return 0;
        }
        return 1;
      }
      default:
        return 0;
    }
  }
}

static inline uint32_t child_pos(uint32_t kind, uint32_t i) {
  switch (kind) {
    case K_ARRAY: return i == 0 ? 4 : 3;
    case K_STRUCT: case K_UNION: return 4 + 3 * i;
    case K_FUNC_PROTO: return i == 0 ? 2 : 2 + 2 * i;
    default: return 2;
  }
}

/*
 * struct.ts shallowPair: 0 when the pair cannot be equivalent, else 1 + the number of child
 * pairs to walk (1: none); -1 for a kind that has no place in a type graph.
 */
static int64_t shallow_pair(struct dedup *d, uint32_t cand, uint32_t canon, uint32_t ck, uint32_t kk) {
  const uint32_t *w = d->w;
  uint32_t a = d->off[cand];
  uint32_t b = d->off[canon];
  if (w[a] != w[b]) return 0;
  if (ck != kk) {
    if (ck != K_FWD && kk != K_FWD) return 0;
    uint32_t real, fwd;
    if (ck == K_FWD) {
      real = kk;
      fwd = (w[a + 1] >> 31) ? K_UNION : K_STRUCT;
    } else {
      real = ck;
      fwd = (w[b + 1] >> 31) ? K_UNION : K_STRUCT;
      if (fwd == real && canon < d->start) d->hypot_adjust_canon = 1;
    }
    return fwd == real ? 1 : 0;
  }
  switch (ck) {
    case K_STRUCT: case K_UNION: {
      if (w[a + 1] != w[b + 1] || w[a + 2] != w[b + 2]) return 0;
      uint32_t n = VLEN(w, a);
      for (uint32_t i = 0, p = 3; i < n; i++, p += 3)
        if (w[a + p] != w[b + p] || w[a + p + 2] != w[b + p + 2]) return 0;
      return n == 0 ? 1 : 1 + (int64_t)n;
    }
    case K_CONST: case K_VOLATILE: case K_RESTRICT: case K_PTR: case K_TYPEDEF:
    case K_FUNC: case K_TYPE_TAG:
      return w[a + 1] != w[b + 1] ? 0 : 2;
    case K_INT: case K_ENUM: case K_ENUM64: case K_FWD: case K_FLOAT:
      return leaf_equal(w, a, b, ck);
    case K_ARRAY:
      return compat_array(w, a, b) ? 3 : 0;
    case K_FUNC_PROTO:
      return compat_fn_proto(w, a, b) ? 2 + (int64_t)VLEN(w, a) : 0;
    default:
      return -1;
  }
}

#define FRAME 5

/*
 * struct.ts isEquiv: is the graph of own type `cand` equivalent to the graph of candidate
 * `canon`, building the hypothetical map on the way. 1/0, or -1 where the JavaScript reports
 * an error.
 */
__attribute__((noinline)) static int is_equiv(struct dedup *d, uint32_t cand, uint32_t canon) {
  const uint32_t *w = d->w;
  const uint32_t *off = d->off;
  const int32_t *map = d->map;
  int32_t *hypot = d->hypot;
  const uint8_t *kinds = d->kinds;
  uint32_t *hypot_list = d->hypot_list;
  uint32_t hc = d->hypot_cnt;
  uint32_t *s = d->s;
  uint32_t sp = 0;
  uint32_t c = cand, k = canon;
  int ok = 1;
  int32_t root_k = -1;
  uint32_t c1 = 0, k1 = 0, gen = 0, sub_start = 0;
  int hit_root = 0;
  for (;;) {
    uint32_t rc = c, rk = k;
    int32_t guard = (int32_t)d->type_count;
    for (int32_t m = map[rc]; m >= 0 && (uint32_t)m != rc; m = map[rc]) {
      rc = (uint32_t)m;
      if (--guard < 0) return -1;
    }
    for (int32_t m = map[rk]; m >= 0 && (uint32_t)m != rk; m = map[rk]) {
      rk = (uint32_t)m;
      if (--guard < 0) return -1;
    }
    if (rc != rk) {
      if (kinds[k] == K_FWD && kinds[rk] != K_FWD) k = rk;
      if (gen != 0) {
        if ((int32_t)k == root_k) hit_root = 1;
      } else if (root_k < 0) {
        root_k = (int32_t)k;
      }
      int32_t hyp = hypot[k] - 1;
      if (hyp >= 0) {
        if ((uint32_t)hyp != c) {
          d->budget = IDENTICAL_BUDGET;
          if (!identical(d, (uint32_t)hyp, c, 16)) {
            ok = 0;
            break;
          }
        }
      } else {
        hypot_list[hc++] = k;
        hypot[k] = (int32_t)(c + 1);
        uint32_t b = off[k], a = off[c];
        uint32_t kk = kinds[k], ck = kinds[c];
        int64_t r;
        if (ck == kk && (ck == K_STRUCT || ck == K_UNION)) {
          r = 0;
          if (w[a] == w[b] && w[a + 1] == w[b + 1] && w[a + 2] == w[b + 2]) {
            uint32_t n = VLEN(w, a);
            uint32_t i = 0;
            for (uint32_t p = a + 3, q = b + 3; i < n; i++, p += 3, q += 3)
              if (w[p] != w[q] || w[p + 2] != w[q + 2]) break;
            if (i == n) r = (int64_t)n + 1;
          }
        } else {
          r = shallow_pair(d, c, k, ck, kk);
          if (r < 0) return -1;
        }
        if (r == 0) {
          ok = 0;
          break;
        }
        if (r > 1) {
          /* deeper than the room given (dedup.ts gives less than the largest depth): the JavaScript's */
          if (sp / FRAME + 1 > d->s_frames) return -1;
          s[sp] = a;
          s[sp + 1] = b;
          s[sp + 2] = ck;
          s[sp + 3] = 0;
          s[sp + 4] = (uint32_t)(r - 1);
          sp += FRAME;
        }
      }
    }
    /* the next pair: the top frame's next child, or pop */
    int done = 0;
    for (;;) {
      if (sp == 0) {
        done = 1;
        break;
      }
      uint32_t i = s[sp - 2];
      if (i < s[sp - 1]) {
        uint32_t kind = s[sp - 3];
        uint32_t p = kind == K_STRUCT || kind == K_UNION ? 4 + 3 * i : child_pos(kind, i);
        s[sp - 2] = i + 1;
        c = w[s[sp - 5] + p];
        k = w[s[sp - 4] + p];
        if (sp == FRAME) {
          if (i == 0) {
            if (d->memo_gen != 0 && c == d->memo_c && k == d->memo_k && (uint32_t)d->seen[root_k] != d->memo_gen) {
              ok = 0;
              done = 2;
              break;
            }
            c1 = c;
            k1 = k;
            gen = ++d->gen;
            sub_start = hc;
          } else {
            gen = 0;
          }
        }
        break;
      }
      sp -= FRAME;
    }
    if (done) break;
  }
  d->hypot_cnt = hc;
  if (!ok && gen != 0 && !hit_root) {
    int32_t *seen = d->seen;
    for (uint32_t i = sub_start; i < hc; i++) seen[hypot_list[i]] = (int32_t)gen;
    d->memo_c = c1;
    d->memo_k = k1;
    d->memo_gen = gen;
  }
  return ok;
}

static void hypot_clear(struct dedup *d) {
  for (uint32_t i = 0; i < d->hypot_cnt; i++) d->hypot[d->hypot_list[i]] = 0;
  d->hypot_cnt = 0;
  d->hypot_adjust_canon = 0;
}

/* struct.ts mergeHypot; -1 on a cycle in the map. */
static int merge_hypot(struct dedup *d) {
  const uint8_t *kinds = d->kinds;
  int32_t *map = d->map;
  for (uint32_t i = 0; i < d->hypot_cnt; i++) {
    uint32_t canon_id = d->hypot_list[i];
    int32_t t_id = resolve_id(d, (uint32_t)(d->hypot[canon_id] - 1));
    int32_t c_id = resolve_id(d, canon_id);
    if (t_id < 0 || c_id < 0) return -1;
    uint32_t tk = kinds[t_id], ck = kinds[c_id];
    if (tk != K_FWD && ck == K_FWD) map[c_id] = t_id;
    if (d->hypot_adjust_canon) continue;
    if (tk == K_FWD && ck != K_FWD) map[t_id] = c_id;
    if ((tk == K_STRUCT || tk == K_UNION) && ck != K_FWD && map[c_id] >= 0 && map[t_id] < 0) map[t_id] = c_id;
  }
  return 0;
}

/* struct.ts structType. */
__attribute__((noinline)) static int struct_type(struct dedup *d, uint32_t id) {
  if (d->map[id] >= 0) return 0;
  d->memo_gen = 0;
  const uint32_t *w = d->w;
  uint32_t o = d->off[id];
  uint32_t kind = KIND(w, o);
  if (kind != K_STRUCT && kind != K_UNION && kind != K_TYPEDEF) return 0;
  int is_typedef = kind == K_TYPEDEF;
  uint32_t key = is_typedef ? hash_typedef(w, o) : hash_struct(w, d->off, o);
  uint32_t new_id = id;
  struct table *t = d->t;
  for (int32_t e = first(t, key); e >= 0; e = next_of(t, e)) {
    uint32_t cand = VALUE(t, e);
    if (is_typedef && cand < d->start) continue;
    uint32_t co = OFF_OF(t, e);
    if (is_typedef ? !equal_typedef(w, o, co) : !shallow_equal_struct(w, o, co)) continue;
    hypot_clear(d);
    int r = is_equiv(d, id, cand);
    if (r < 0) return -1;
    if (!r) continue;
    if (merge_hypot(d)) return -1;
    d->memo_gen = 0;
    if (d->hypot_adjust_canon) continue;
    new_id = cand;
    break;
  }
  d->map[id] = (int32_t)new_id;
  if (new_id == id) return table_add(d, key, id);
  return 0;
}

/* ref.ts dedupResolveFwds' name table: the slot of `name` (empty: key word 0). */
static uint32_t fwd_slot(const struct dedup *d, uint32_t name) {
  uint32_t i = ((name ^ (name >> 15)) * 0x9e3779b1u) & d->fwd_mask;
  while (d->fwd[2 * i] != 0 && d->fwd[2 * i] != name + 1) i = (i + 1) & d->fwd_mask;
  return i;
}

/* ref.ts dedupResolveFwds. */
static void resolve_fwds(struct dedup *d) {
  const uint32_t *w = d->w;
  const uint32_t *off = d->off;
  const uint8_t *kinds = d->kinds;
  int32_t *map = d->map;
  uint32_t n = 0;
  /* the names of the own FWDs still canonical -> -1 (as value 0xffffffff) */
  for (uint32_t id = d->start; id < d->type_count; id++) {
    if (kinds[id] != K_FWD || (uint32_t)map[id] != id) continue;
    uint32_t i = fwd_slot(d, w[off[id]]);
    if (d->fwd[2 * i] == 0) {
      d->fwd[2 * i] = w[off[id]] + 1;
      d->fwd[2 * i + 1] = 0xffffffffu;
      n++;
    }
  }
  if (n == 0) return;
  for (uint32_t id = 1; id < d->type_count; id++) {
    uint32_t k = kinds[id];
    if ((k != K_STRUCT && k != K_UNION) || (uint32_t)map[id] != id) continue;
    uint32_t i = fwd_slot(d, w[off[id]]);
    if (d->fwd[2 * i] == 0) continue;
    d->fwd[2 * i + 1] = d->fwd[2 * i + 1] == 0xffffffffu ? id : 0;
  }
  for (uint32_t id = d->start; id < d->type_count; id++) {
    if (kinds[id] != K_FWD || (uint32_t)map[id] != id) continue;
    uint32_t o = off[id];
    uint32_t cand = d->fwd[2 * fwd_slot(d, w[o]) + 1];
    if (cand == 0 || cand == 0xffffffffu) continue;
    uint32_t ck = kinds[cand];
    int is_union_fwd = (w[o + 1] >> 31) == 1;
    if ((ck == K_STRUCT && is_union_fwd) || (ck == K_UNION && !is_union_fwd)) continue;
    map[id] = (int32_t)cand;
  }
}

static inline uint32_t sig_words(const uint32_t *w, uint32_t o, uint32_t k) {
  if (k == K_FUNC_PROTO) return 3 + 2 * VLEN(w, o);
  if (k == K_ARRAY) return 6;
  return k == K_DECL_TAG ? 4 : 3;
}

/* ref.ts finishRef: the canonical id of a reference type whose children are canonical; 0 on overflow. */
static uint32_t finish_ref(struct dedup *d, uint32_t id, uint32_t k, int *err) {
  const uint32_t *w = d->w;
  uint32_t o = d->off[id];
  struct table *t = d->t;
  uint32_t nw = sig_words(w, o, k);
  uint32_t h = hash_words(w, o, nw);
  uint32_t new_id = id;
  for (int32_t e = first(t, h); e >= 0; e = next_of(t, e)) {
    uint32_t co = OFF_OF(t, e);
    uint32_t i = 0;
    while (i < nw && w[o + i] == w[co + i]) i++;
    if (i == nw) {
      new_id = VALUE(t, e);
      break;
    }
  }
  d->map[id] = (int32_t)new_id;
  if (new_id == id && table_add(d, h, id)) *err = 1;
  return new_id;
}

#define RFRAME 4

/* ref.ts pushRef; -1 for a kind out of place. */
static int push_ref(struct dedup *d, uint32_t *s, uint32_t sp, uint32_t id) {
  uint32_t k = d->kinds[id];
  uint32_t o = d->off[id];
  uint32_t p = o + 2, end = o + 3, step = 1;
  switch (k) {
    case K_CONST: case K_VOLATILE: case K_RESTRICT: case K_PTR: case K_FUNC:
    case K_TYPE_TAG: case K_DECL_TAG:
      break;
    case K_ARRAY:
      p = o + 3;
      end = o + 5;
      break;
    case K_FUNC_PROTO:
      end = o + 3 + 2 * VLEN(d->w, o);
      step = 2;
      break;
    default:
      return -1;
  }
  d->map[id] = IN_PROGRESS;
  s[sp] = id;
  s[sp + 1] = p;
  s[sp + 2] = end;
  s[sp + 3] = step;
  return 0;
}

/* ref.ts refType: the reference types below `root`, children first. */
__attribute__((noinline)) static int ref_type(struct dedup *d, uint32_t root) {
  int32_t *map = d->map;
  uint32_t *w = d->w;
  uint32_t *s = d->rs;
  int err = 0;
  if (push_ref(d, s, 0, root)) return -1;
  uint32_t sp = RFRAME;
  while (sp > 0) {
    uint32_t p = s[sp - 3];
    uint32_t end = s[sp - 2];
    uint32_t step = s[sp - 1];
    int pushed = 0;
    for (; p < end; p += step) {
      uint32_t child = w[p];
      int32_t m = map[child];
      if (m >= 0) {
        if ((uint32_t)m != child) {
          int32_t guard = (int32_t)d->type_count;
          for (int32_t n = map[m]; n >= 0 && n != m; n = map[m]) {
            m = n;
            if (--guard < 0) return -1;
          }
          w[p] = (uint32_t)m;
        }
        continue;
      }
      if (m == IN_PROGRESS) return -1;
      s[sp - 3] = p;
      if (push_ref(d, s, sp, child)) return -1;
      sp += RFRAME;
      pushed = 1;
      break;
    }
    if (pushed) continue;
    uint32_t id = s[sp - 4];
    uint32_t res = finish_ref(d, id, d->kinds[id], &err);
    if (err) return -1;
    sp -= RFRAME;
    if (sp > 0) {
      uint32_t pp = s[sp - 3];
      w[pp] = res;
      s[sp - 3] = pp + s[sp - 1];
    }
  }
  return 0;
}

/*
 * The stages after the strings: dedupPrimTypes, dedupStructTypes, dedupResolveFwds,
 * dedupRefTypes, on the state that dedupPrep (and the string stage) left: w (own records
 * rewritten in place), map and the tables change. Scratch, laid out by the caller: hypot
 * (type_count words, zero), hypot_list (type_count), s (FRAME * type_count + FRAME), seen
 * (type_count, zero), rs (RFRAME * type_count), fwd (2 * (fwd_mask + 1) words, zero, fwd_mask
 * + 1 a power of two above twice the own types). enum_fwd: bits by string offset below
 * enum_fwd_limit. Returns 0 or DEDUP_BAIL.
 */
/* The type stages on a dedup state (btfkit_dedup_types, btfkit_dedup_all). 0 or DEDUP_BAIL. */
static int32_t types_pass(struct dedup *d) {
  const uint8_t *kinds = d->kinds;
  int32_t *map = d->map;
  for (uint32_t id = d->start; id < d->type_count; id++) {
    uint32_t k = kinds[id];
    if (k == K_INT || k == K_ENUM || k == K_ENUM64 || k == K_FWD || k == K_FLOAT) {
      if (prim_type(d, id)) return DEDUP_BAIL;
    }
  }
  for (uint32_t id = d->start; id < d->type_count; id++) {
    uint32_t k = kinds[id];
    if (k == K_STRUCT || k == K_UNION || k == K_TYPEDEF) {
      if (struct_type(d, id)) return DEDUP_BAIL;
    }
  }
  resolve_fwds(d);
  for (uint32_t id = d->start; id < d->type_count; id++) {
    int32_t m = map[id];
    if (m >= 0) continue;
    if (m == IN_PROGRESS) return DEDUP_BAIL;
    if (ref_type(d, id)) return DEDUP_BAIL;
  }
  return 0;
}

int32_t btfkit_dedup_types(uint32_t *w, const uint32_t *off, const uint8_t *kinds, int32_t *map, uint32_t start,
                           uint32_t type_count, struct table *t, struct table *et, uint32_t *enum_fwd,
                           uint32_t enum_fwd_limit, int32_t *hypot, uint32_t *hypot_list, uint32_t *s, int32_t *seen,
                           uint32_t *rs, uint32_t *fwd, uint32_t fwd_mask) {
  struct dedup d = {
    .w = w, .off = off, .kinds = kinds, .map = map, .start = start, .type_count = type_count, .t = t, .et = et,
    .enum_fwd = enum_fwd, .enum_fwd_limit = enum_fwd_limit, .hypot = hypot, .hypot_list = hypot_list,
    .s = s, .s_frames = type_count + 1, .seen = seen, .rs = rs, .fwd = fwd, .fwd_mask = fwd_mask,
  };
  return types_pass(&d);
}

/* ------------------------------------------------------------------ the whole dedup (strings already deduplicated) */

/* src/format/kinds.ts tables, 32 bytes each (kinds 0..19 as kinds.ts has them). */
struct kind_tables {
  int8_t info_words[32];
  int8_t elem_words[32];
  uint8_t id_fixed[32];
  uint8_t id_word1[32];
  uint8_t id_word2[32];
  int8_t elem_id[32];
  int8_t elem_start[32];
};

#define MAX_KNOWN_KIND 19
#define MAX_NR_TYPES 0x7fffffffu
#define DROPPED 0xffffffffu

static inline int64_t record_words(const struct kind_tables *kt, uint32_t k, uint32_t vlen) {
  if (k == 0 || k > MAX_KNOWN_KIND) return -1;
  return 3 + kt->info_words[k] + (int64_t)kt->elem_words[k] * vlen;
}

/*
 * state.ts ownRecords: the own records' kinds and first map entries, their kinds known and
 * their ids in range (else DEDUP_BAIL: the JavaScript reports which).
 */
static int32_t own_records(const struct kind_tables *kt, const uint32_t *w, uint32_t n_words, const uint32_t *off,
                           uint8_t *kinds, int32_t *map, uint32_t start, uint32_t type_count) {
  for (uint32_t id = start; id < type_count; id++) {
    uint32_t o = off[id];
    uint32_t k = KIND(w, o), vlen = VLEN(w, o);
    int64_t n = record_words(kt, k, vlen);
    if (n < 0 || (uint64_t)o + (uint64_t)n > n_words) return DEDUP_BAIL;
    kinds[id] = (uint8_t)k;
    map[id] = k == K_VAR || k == K_DATASEC ? (int32_t)id : UNPROCESSED;
    uint32_t nf = kt->id_fixed[k];
    if (nf > 0 && w[o + kt->id_word1[k]] >= type_count) return DEDUP_BAIL;
    if (nf > 1 && w[o + kt->id_word2[k]] >= type_count) return DEDUP_BAIL;
    int32_t ei = kt->elem_id[k];
    if (ei < 0) continue;
    uint32_t ew = (uint32_t)kt->elem_words[k];
    for (uint32_t j = 0, p = o + (uint32_t)kt->elem_start[k] + (uint32_t)ei; j < vlen; j++, p += ew)
      if (w[p] >= type_count) return DEDUP_BAIL;
  }
  return 0;
}

/* compact.ts resolve: the canonical id's new number (base ids as they are); DROPPED on a cycle. */
static uint32_t compact_resolve(const int32_t *map, const uint32_t *renum, uint32_t start, uint32_t type_count, uint32_t x) {
  uint32_t r = x;
  int64_t guard = type_count;
  for (int32_t m = map[r]; m >= 0 && (uint32_t)m != r; m = map[r]) {
    r = (uint32_t)m;
    if (--guard < 0) return DROPPED;
  }
  return r < start ? r : renum[r];
}

/* The whole dedup's input and output (dedup.ts lays it out; 32-bit words, in this order). */
struct all {
  uint32_t *w; uint32_t n_words; const uint32_t *off; uint32_t start; uint32_t type_count;
  uint8_t *kinds; int32_t *map; uint32_t limit; uint32_t str_limit;
  const struct kind_tables *kt;
  uint32_t *bits; uint32_t *elem_bits; uint8_t *anon_kinds;
  struct table *t; struct table *et; uint32_t *enum_fwd_names; uint32_t *enum_fwd;
  int32_t *hypot; uint32_t *hypot_list; uint32_t *s; int32_t *seen; uint32_t *rs; uint32_t *fwd; uint32_t fwd_mask;
  /* out: the kept records and their word offsets, how many of each */
  uint32_t *out_words; uint32_t *out_offs; uint32_t out_n_words; uint32_t out_n_types;
  /* frames of room in s */
  uint32_t s_frames;
};

/*
 * btf__dedup of a BTF whose strings are already deduplicated (index.ts, the stages of
 * state.ts, prim.ts, struct.ts, ref.ts and compact.ts in one call): `w`/`off` laid out as
 * newState lays them out, kinds, map, the tables and scratch zeroed where dedup.ts says. On
 * return the map is final, hypot holds the new numbering of the own ids (compact.ts renum),
 * and out_words/out_offs the kept records, their ids remapped. 0 or DEDUP_BAIL.
 */
int32_t btfkit_dedup_all(struct all *a) {
  uint32_t start = a->start, type_count = a->type_count;
  uint32_t *w = a->w;
  if (own_records(a->kt, w, a->n_words, a->off, a->kinds, a->map, start, type_count)) return DEDUP_BAIL;
  a->map[0] = 0;
  if (start > 1) {
    uint32_t n_fwd = 0;
    int32_t r = btfkit_dedup_prep(w, a->off, start, type_count, a->limit, a->map, a->kinds, a->bits, a->elem_bits,
                                  a->anon_kinds, 0, 0, a->t, a->et, a->enum_fwd_names, &n_fwd);
    if (r != 0) return DEDUP_BAIL;
    for (uint32_t i = 0; i < n_fwd; i++) {
      uint32_t name = a->enum_fwd_names[i];
      if (name >= a->str_limit) return DEDUP_BAIL;
      a->enum_fwd[name >> 5] |= 1u << (name & 31);
    }
  }
  struct dedup d = {
    .w = w, .off = a->off, .kinds = a->kinds, .map = a->map, .start = start, .type_count = type_count, .t = a->t,
    .et = a->et, .enum_fwd = a->enum_fwd, .enum_fwd_limit = a->str_limit, .hypot = a->hypot,
    .hypot_list = a->hypot_list, .s = a->s, .s_frames = a->s_frames, .seen = a->seen, .rs = a->rs, .fwd = a->fwd,
    .fwd_mask = a->fwd_mask,
  };
  if (types_pass(&d)) return DEDUP_BAIL;
  /* compact.ts compactAndRemap: the new numbering in hypot's memory, the kept records copied, ids remapped */
  const struct kind_tables *kt = a->kt;
  uint32_t *renum = (uint32_t *)a->hypot;
  const int32_t *map = a->map;
  const uint8_t *kinds = a->kinds;
  uint32_t n_words = 0, n_types = 0;
  for (uint32_t id = start; id < type_count; id++) {
    if ((uint32_t)map[id] != id) {
      renum[id] = DROPPED;
      continue;
    }
    n_words += (uint32_t)record_words(kt, kinds[id], VLEN(w, a->off[id]));
    renum[id] = start + n_types++;
  }
  uint32_t *ow = a->out_words, *oo = a->out_offs;
  uint32_t pos = 0, n = 0;
  for (uint32_t id = start; id < type_count; id++) {
    if ((uint32_t)map[id] != id) continue;
    uint32_t o = a->off[id];
    uint32_t len = (uint32_t)record_words(kt, kinds[id], VLEN(w, o));
    oo[n++] = pos;
    __builtin_memcpy(ow + pos, w + o, len * 4);
    pos += len;
  }
  for (uint32_t i = 0; i < n_types; i++) {
    uint32_t o = oo[i];
    uint32_t kind = KIND(ow, o);
    uint32_t nf = kt->id_fixed[kind];
    uint32_t fields[2] = {kt->id_word1[kind], kt->id_word2[kind]};
    for (uint32_t f = 0; f < nf && f < 2; f++) {
      uint32_t nid = compact_resolve(map, renum, start, type_count, ow[o + fields[f]]);
      if (nid > MAX_NR_TYPES) return DEDUP_BAIL;
      ow[o + fields[f]] = nid;
    }
    int32_t ei = kt->elem_id[kind];
    if (ei < 0) continue;
    uint32_t ew = (uint32_t)kt->elem_words[kind];
    uint32_t vlen = VLEN(ow, o);
    for (uint32_t j = 0, p = o + (uint32_t)kt->elem_start[kind] + (uint32_t)ei; j < vlen; j++, p += ew) {
      uint32_t nid = compact_resolve(map, renum, start, type_count, ow[p]);
      if (nid > MAX_NR_TYPES) return DEDUP_BAIL;
      ow[p] = nid;
    }
  }
  a->out_n_words = n_words;
  a->out_n_types = n_types;
  return 0;
}

/* parse.ts indexRecords for a BTF without a base or a layout section (walk.h walk_records). */
void btfkit_index_records(const uint32_t *words, uint32_t type_len, uint32_t *offs, uint32_t str_limit, uint32_t kind_mask,
                          uint32_t vlen_mask, uint32_t max_kind, const struct walk_tables *kt, struct index_out *o) {
  walk_records(words, type_len, offs, str_limit, kind_mask, vlen_mask, max_kind, kt, o);
}
