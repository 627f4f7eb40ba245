/**
 * XXH64 (seed 0), the content checksum of zstd frames (RFC 8878 §3.1.1: its low 32 bits).
 *
 * Approach: the reference algorithm (xxhash.h: four 64-bit lanes over 32-byte stripes, then
 * the 8/4/1-byte tail and the avalanche), with each 64-bit value held as two uint32 halves:
 * products are assembled from 16-bit partial products (exact in doubles) plus Math.imul for
 * the cross terms, so no BigInt and no allocation per step. Used to prove that fzstd's one-shot
 * decode (src/node/decompress.ts; the fallback when neither node:zlib's nor the WebAssembly
 * zstd decoder is there, both of which check the checksum themselves) produced exactly the
 * frame's content; written plainly, one round() per lane, since it is off the main path.
 * Reference behaviour: `zstd -d` accepts a frame iff this value matches its checksum field.
 */

const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

/** r[0..1] = (ah:al) * (bh:bl) mod 2^64, as [hi, lo]. */
function mul(r: Uint32Array, ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0;
  const lo = a0 * b0 + (mid % 65536) * 65536;
  const loU = lo >>> 0;
  r[1] = loU;
  r[0] = (a1 * b1 + Math.floor(mid / 65536) + (lo - loU) / 4294967296 + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** r = rotl64(r, n) for 0 < n < 32. */
function rotl(r: Uint32Array, n: number): void {
  const h = r[0]!;
  const l = r[1]!;
  r[0] = ((h << n) | (l >>> (32 - n))) >>> 0;
  r[1] = ((l << n) | (h >>> (32 - n))) >>> 0;
}

/** r += (bh:bl) */
function add(r: Uint32Array, bh: number, bl: number): void {
  const lo = r[1]! + bl;
  r[1] = lo >>> 0;
  r[0] = (r[0]! + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Lane `v` (at v[i], v[i+1]) = rotl(v + input * P2, 31) * P1; `t` is scratch. */
function round(v: Uint32Array, i: number, ih: number, il: number, t: Uint32Array): void {
  mul(t, ih, il, P2H, P2L);
  const lo = v[i + 1]! + t[1]!;
  t[1] = lo >>> 0;
  t[0] = (v[i]! + t[0]! + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  rotl(t, 31);
  mul(t, t[0]!, t[1]!, P1H, P1L);
  v[i] = t[0]!;
  v[i + 1] = t[1]!;
}

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** XXH64 with seed 0 of b[start, end), as [high 32 bits, low 32 bits]. */
export function xxh64(b: Uint8Array, start = 0, end = b.length): [number, number] {
  const len = end - start;
  const t = new Uint32Array(2);
  const h = new Uint32Array(2);
  let p = start;
  if (len >= 32) {
    // lanes: v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1
    const v = new Uint32Array(8);
    v[0] = P1H;
    v[1] = P1L;
    add(v.subarray(0, 2), P2H, P2L);
    v[2] = P2H;
    v[3] = P2L;
    v[6] = ~P1H >>> 0; // P1L is not 0: no borrow
    v[7] = (-P1L) >>> 0;
    for (const limit = end - 32; p <= limit; p += 32) {
      for (let k = 0; k < 4; k++) round(v, 2 * k, le32(b, p + 8 * k + 4), le32(b, p + 8 * k), t);
    }
    const r = new Uint32Array(2);
    const rots = [1, 7, 12, 18];
    for (let k = 0; k < 4; k++) {
      r[0] = v[2 * k]!;
      r[1] = v[2 * k + 1]!;
      rotl(r, rots[k]!);
      add(h, r[0]!, r[1]!);
    }
    for (let k = 0; k < 4; k++) {
      // h = (h ^ round(0, v_k)) * P1 + P4
      r[0] = 0;
      r[1] = 0;
      round(r, 0, v[2 * k]!, v[2 * k + 1]!, t);
      mul(h, (h[0]! ^ r[0]!) >>> 0, (h[1]! ^ r[1]!) >>> 0, P1H, P1L);
      add(h, P4H, P4L);
    }
  } else {
    h[0] = P5H;
    h[1] = P5L;
  }
  add(h, Math.floor(len / 4294967296), len >>> 0);
  const k1 = new Uint32Array(2);
  while (p + 8 <= end) {
    k1[0] = 0;
    k1[1] = 0;
    round(k1, 0, le32(b, p + 4), le32(b, p), t);
    h[0] = (h[0]! ^ k1[0]!) >>> 0;
    h[1] = (h[1]! ^ k1[1]!) >>> 0;
    rotl(h, 27);
    mul(h, h[0]!, h[1]!, P1H, P1L);
    add(h, P4H, P4L);
    p += 8;
  }
  if (p + 4 <= end) {
    mul(t, 0, le32(b, p), P1H, P1L);
    h[0] = (h[0]! ^ t[0]!) >>> 0;
    h[1] = (h[1]! ^ t[1]!) >>> 0;
    rotl(h, 23);
    mul(h, h[0]!, h[1]!, P2H, P2L);
    add(h, P3H, P3L);
    p += 4;
  }
  while (p < end) {
    mul(t, 0, b[p]!, P5H, P5L);
    h[0] = (h[0]! ^ t[0]!) >>> 0;
    h[1] = (h[1]! ^ t[1]!) >>> 0;
    rotl(h, 11);
    mul(h, h[0]!, h[1]!, P1H, P1L);
    p++;
  }
  // avalanche
  h[1] = (h[1]! ^ (h[0]! >>> 1)) >>> 0; // ^= h >> 33
  mul(h, h[0]!, h[1]!, P2H, P2L);
  h[1] = (h[1]! ^ ((h[1]! >>> 29) | (h[0]! << 3))) >>> 0; // ^= h >> 29
  h[0] = (h[0]! ^ (h[0]! >>> 29)) >>> 0;
  mul(h, h[0]!, h[1]!, P3H, P3L);
  h[1] = (h[1]! ^ h[0]!) >>> 0; // ^= h >> 32
  return [h[0]!, h[1]!];
}
