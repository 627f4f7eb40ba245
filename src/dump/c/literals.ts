/**
 * Pre-encoded literal text of the C emitter (keywords, punctuation, attributes), written to
 * the output with one copy each, and the character codes it writes byte by byte.
 */

export const NL = 10;
export const SPACE = 32;

/** Pre-encoded literal text (written with one native copy each). */
export const L = {
  ASSIGN: ascii(' = '),
  ATTR_OPEN: ascii(' __attribute__(('),
  CLOSE2: ascii('))'),
  COLON: ascii(': '),
  COMMA: ascii(', '),
  CONST_: ascii('const '),
  DUP: ascii('___'),
  ELLIPSIS: ascii('...'),
  ENUM: ascii('enum'),
  ENUM_: ascii('enum '),
  GNUC_VA: ascii('typedef __builtin_va_list __gnuc_va_list'),
  LL_COMMA: ascii('LL,'),
  MODE_BYTE: ascii(' __attribute__((mode(byte)))'),
  MODE_WORD: ascii(' __attribute__((mode(word)))'),
  OPEN: ascii(' {'),
  PACKED: ascii(' __attribute__((packed))'),
  RESTRICT_: ascii('restrict '),
  SEMI_NL2: ascii(';\n\n'),
  STRUCT: ascii('struct'),
  STRUCT_: ascii('struct '),
  TAG_CLOSE: ascii('")))'),
  TAG_OPEN: ascii(' __attribute__((btf_type_tag("'),
  TYPEDEF_: ascii('typedef '),
  ULL_COMMA: ascii('ULL,'),
  UNION: ascii('union'),
  UNION_: ascii('union '),
  VOID: ascii('void'),
  VOID_CLOSE: ascii('void)'),
  VOLATILE_: ascii('volatile '),
  _CONST: ascii(' const'),
  _PAREN: ascii(' ('),
  _RESTRICT: ascii(' restrict'),
  _STAR: ascii(' *'),
  _VOLATILE: ascii(' volatile'),
} as const;

/** Padding markers: long, int, short, char. */
export const PADS = [ascii('long: '), ascii('int: '), ascii('short: '), ascii('char: ')];

export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
