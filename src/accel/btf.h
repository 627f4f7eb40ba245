/*
 * BTF's record layout as dedup.c and encode.c read and write it: the kind numbers
 * (src/format/kinds.ts KindId) and the fields of a record's info word.
 */

#ifndef BTFKIT_BTF_H
#define BTFKIT_BTF_H

#include <stdint.h>

enum {
  K_UNKN = 0, K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5, K_ENUM = 6, K_FWD = 7,
  K_TYPEDEF = 8, K_VOLATILE = 9, K_CONST = 10, K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13,
  K_VAR = 14, K_DATASEC = 15, K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18, K_ENUM64 = 19,
};

/* The kind and vlen of the record at word o of w, and the largest vlen. */
#define KIND(w, o) (((w)[(o) + 1] >> 24) & 0x1f)
#define VLEN(w, o) ((w)[(o) + 1] & 0xffff)
#define VLEN_MAX 0xffff

/* An info word. */
static inline uint32_t info_word(uint32_t kind, uint32_t vlen, int kflag) {
  return (kflag ? 0x80000000u : 0) | kind << 24 | vlen;
}

#endif
