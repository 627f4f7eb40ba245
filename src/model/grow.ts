/**
 * Growing typed arrays: a copy with room for at least `need` elements (the array itself when
 * it already has room), capacity growing by half each time. Used by the model's builder,
 * the parser's record index, the kernel checks, relocation and the C emitter's work stacks.
 * The result has the input's type (a fresh array is always backed by an ArrayBuffer).
 */

function capacity(len: number, need: number, min: number): number {
  let cap = Math.max(min, len + (len >>> 1));
  while (cap < need) cap += cap >>> 1;
  return cap;
}

export function growU32<T extends Uint32Array>(a: T, need: number, min = 16): T {
  if (need <= a.length) return a;
  const b = new Uint32Array(capacity(a.length, need, min));
  b.set(a);
  return b as T;
}

export function growI32<T extends Int32Array>(a: T, need: number, min = 16): T {
  if (need <= a.length) return a;
  const b = new Int32Array(capacity(a.length, need, min));
  b.set(a);
  return b as T;
}

export function growU8<T extends Uint8Array>(a: T, need: number, min = 64): T {
  if (need <= a.length) return a;
  const b = new Uint8Array(capacity(a.length, need, min));
  b.set(a);
  return b as T;
}

export function growF64<T extends Float64Array>(a: T, need: number, min = 16): T {
  if (need <= a.length) return a;
  const b = new Float64Array(capacity(a.length, need, min));
  b.set(a);
  return b as T;
}
