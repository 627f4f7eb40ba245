/**
 * Typed errors of btfkit.
 *
 * Every failure that bad input can cause is a BtfkitError: it carries a stable `code`
 * (for programs), an errno-style value where libbpf defines one (for parity tests), and
 * the location of the problem (file, section, type id, byte offset) so that the CLI can
 * print one precise line. Nothing else should escape the library on bad input.
 */

export type ErrorCode =
  | 'BTF_HEADER' // header missing, bad magic, bad lengths
  | 'BTF_STRINGS' // string section invalid
  | 'BTF_TYPES' // type section malformed (unknown kind, truncated record)
  | 'BTF_TYPE_REF' // a type refers to an invalid id or string offset
  | 'BTF_UNSUPPORTED' // valid but unsupported (e.g. opposite-endian with long header)
  | 'BTF_INVALID' // an operation was given unsuitable BTF (no base, wrong kind, ...)
  | 'DISTILL' // btf__distill_base failure
  | 'RELOCATE' // btf__relocate failure
  | 'ELF' // ELF structure invalid
  | 'ELF_NO_SECTION' // a required section is missing
  | 'IMAGE' // compressed module / kernel image could not be decoded
  | 'BTF_IDS' // .BTF_ids / resolve_btfids problems
  | 'DWARF' // DWARF debug information malformed or unsupported
  | 'IO' // file system problems (node layer only)
  | 'USAGE'; // bad command-line usage

export interface ErrorLocation {
  file?: string;
  section?: string;
  typeId?: number;
  offset?: number;
}

/** errno values as libbpf returns them (negated in libbpf; positive here). */
export const Errno = {
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  ENOMEM: 12,
  EINVAL: 22,
  ENODATA: 61,
  EPROTO: 71,
  ENOTSUP: 95,
  LIBELF: 4000,
  FORMAT: 4001,
} as const;

export class BtfkitError extends Error {
  readonly code: ErrorCode;
  /** libbpf-style errno (positive), when the operation has a libbpf equivalent. */
  readonly errno: number;
  readonly where: ErrorLocation;
  /** Optional structured payload (e.g. the list of unmapped types of a failed relocation). */
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, opts: { errno?: number; where?: ErrorLocation; details?: unknown } = {}) {
    super(message);
    this.name = 'BtfkitError';
    this.code = code;
    this.errno = opts.errno ?? Errno.EINVAL;
    this.where = { ...(opts.where ?? {}) };
    this.details = opts.details;
  }

  /** Returns a copy of this error with more location context (e.g. the file name added by the I/O layer). */
  withLocation(where: ErrorLocation): BtfkitError {
    const e = new BtfkitError(this.code, this.message, {
      errno: this.errno,
      where: { ...where, ...this.where },
      details: this.details,
    });
    return e;
  }

  /** One line for humans: "file: section .BTF: type [12] at byte 345: message". */
  describe(): string {
    const parts: string[] = [];
    if (this.where.file !== undefined) parts.push(this.where.file);
    if (this.where.section !== undefined) parts.push(`section ${this.where.section}`);
    const at: string[] = [];
    if (this.where.typeId !== undefined) at.push(`type [${this.where.typeId}]`);
    if (this.where.offset !== undefined) at.push(`byte offset ${this.where.offset}`);
    if (at.length) parts.push(at.join(' at '));
    parts.push(this.message);
    return parts.join(': ');
  }
}

export function isBtfkitError(e: unknown): e is BtfkitError {
  return e instanceof BtfkitError;
}
