/**
 * Exhaustive switches over BTF kinds in the dumps. A switch over a `KindId` value lists every
 * kind and ends with `default: missedKind(k)`: the argument has type `never` only when every
 * kind has a case, so adding a kind to `KindId` makes the compiler point at each switch that
 * does not handle it yet. At run time the default is reached only by a kind number outside
 * `KindId` (which the parser refuses); the caller keeps its own fallback for it.
 */
export function missedKind(k: never): number {
  return k;
}
