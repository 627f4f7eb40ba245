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
 *  btfkit_dedup_prep, btfkit_dedup_types: dedup.c.
 */

#include <stdint.h>

#include "strindex.h"

/* StrIndex's constructor (strindex.h strindex_build). */
int32_t btfkit_strindex_build(const uint8_t *s, uint32_t len, int32_t *slots, uint32_t mask) {
  return strindex_build(s, len, slots, mask);
}
