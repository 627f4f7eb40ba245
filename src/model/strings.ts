/**
 * Byte-exact string helpers.
 *
 * BTF strings are NUL-terminated byte strings compared as raw bytes (C strcmp). To key maps
 * by exact bytes we use "latin1 keys": a JS string whose char codes are the bytes one to one.
 * That mapping is a bijection, so equality and ordering of keys equal those of the bytes
 * (every char code is < 256, and JS compares strings by UTF-16 code units).
 */

const utf8 = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

/** Index of the NUL that ends the string at `start`, or `end` if there is none before it. */
export function strEnd(bytes: Uint8Array, start: number, end: number = bytes.length): number {
  let i = start;
  while (i < end && bytes[i] !== 0) i++;
  return i;
}

/** Latin1 key of bytes[start, end). */
export function latin1Key(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n < 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  let s = '';
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

/** Bytes of a latin1 key. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** Human (UTF-8) decoding of bytes[start, end); ASCII fast path. */
export function decodeStr(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n < 48) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** The latin1 key of a JS (Unicode) string: its UTF-8 bytes as char codes. */
export function keyOfString(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
  }
  if (ascii) return s;
  const b = utf8enc.encode(s);
  return latin1Key(b, 0, b.length);
}

/** Decode a latin1 key to a human string (UTF-8 interpretation of its bytes). */
export function keyToString(key: string): string {
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) >= 0x80) return utf8.decode(keyBytes(key));
  }
  return key;
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8enc.encode(s);
}

/** C strcmp on two latin1 keys: negative, zero or positive. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
