/*
 * btfkit's WebAssembly zstd decoder: zstd's own decompressor (lib/common + lib/decompress of an
 * upstream release, amalgamated here like zstd's build/single_file_libs/zstddeclib-in.c) with
 * one export, built freestanding by scripts/build-zstd-wasm.sh (no libc, no emscripten).
 *
 * Approach: one decompression context in static memory (ZSTD_initStaticDCtx over a workspace
 * of exactly sizeof(ZSTD_DCtx)), so the decoder allocates nothing: malloc is a stub that
 * always fails, and no path of ZSTD_decompressDCtx (one-shot, frames in, whole output out,
 * the output area being the window) calls it. The caller (src/node/zstd-wasm.ts) grows the
 * module's memory and places the output area at __heap_base and the input after it; zstd
 * refuses output beyond the area's capacity (dstSize_tooSmall) and checks each frame's XXH64
 * content checksum. Legacy formats, tracing, multithreading and x86 assembly are compiled out.
 * Reference behaviour: the bytes (and error codes) of `zstd -d` of the same release.
 */

#define DEBUGLEVEL 0
#define ZSTD_LEGACY_SUPPORT 0
#define ZSTD_TRACE 0
#define ZSTD_DISABLE_ASM 1
#define ZSTD_STRIP_ERROR_STRINGS
#undef XXH_NAMESPACE
#define XXH_NAMESPACE ZSTD_
#define XXH_PRIVATE_API
#define XXH_INLINE_ALL
#define ZSTD_DEPS_NEED_MALLOC
#include "common/zstd_deps.h"

#include "common/debug.c"
#include "common/entropy_common.c"
#include "common/error_private.c"
#include "common/fse_decompress.c"
#include "common/zstd_common.c"

#include "decompress/huf_decompress.c"
#include "decompress/zstd_ddict.c"
#include "decompress/zstd_decompress.c"
#include "decompress/zstd_decompress_block.c"

/* ---- the freestanding C library zstd's code refers to ---- */

/* With -mbulk-memory the compiler turns these builtins into memory.copy / memory.fill. */
void *memcpy(void *restrict d, const void *restrict s, size_t n) { return __builtin_memcpy(d, s, n); }
void *memmove(void *d, const void *s, size_t n) { return __builtin_memmove(d, s, n); }
void *memset(void *d, int c, size_t n) { return __builtin_memset(d, c, n); }
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}
/* No allocator: everything the one-shot decoder needs is in the static context. */
void *malloc(size_t n) { (void)n; return 0; }
void *calloc(size_t n, size_t m) { (void)n; (void)m; return 0; }
void free(void *p) { (void)p; }

/* ---- the export ---- */

static unsigned long long dctxSpace[(sizeof(ZSTD_DCtx) + 7) / 8];

/*
 * Decodes the frames of src[0, srcSize) into dst[0, dstCapacity): the decoded size, or a zstd
 * error code as -code (ZSTD_isError). The context is reset by every call.
 */
__attribute__((export_name("btfkit_zstd_decompress")))
size_t btfkit_zstd_decompress(void *dst, size_t dstCapacity, const void *src, size_t srcSize) {
  ZSTD_DCtx *dctx = ZSTD_initStaticDCtx(dctxSpace, sizeof dctxSpace);
  if (dctx == NULL) return ERROR(memory_allocation);
  return ZSTD_decompressDCtx(dctx, dst, dstCapacity, src, srcSize);
}
