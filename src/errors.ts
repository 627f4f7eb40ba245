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

/**
 * THE errno table: every errno value btfkit reports, defined here only (positive; libbpf and
 * the kernel return them negated). Linux values; ENOTSUPP (524) is the kernel-internal one the
 * BTF checks return, distinct from user-space ENOTSUP (95); LIBELF/FORMAT are libbpf's own.
 */
export const Errno = {
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  ENOMEM: 12,
  EINVAL: 22,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  ENOTSUP: 95,
  ENOTSUPP: 524,
  LIBELF: 4000,
  FORMAT: 4001,
} as const;
export type ErrnoName = keyof typeof Errno;
export type ErrnoValue = (typeof Errno)[ErrnoName];

const ERRNO_NAMES = new Map<number, ErrnoName>(Object.entries(Errno).map(([k, v]) => [v, k as ErrnoName]));

/** The symbolic name of an errno value ('EINVAL'), or `errno N` for one not in the table. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/**
 * Structured payloads of errors, by code: what a program can inspect beyond the message.
 * (RELOCATE carries the full RelocationFailure of split/relocate.ts.)
 */
export interface ErrorDetailsByCode {
  RELOCATE: import('./split/relocate.js').RelocationFailure;
}
export type ErrorDetails = ErrorDetailsByCode[keyof ErrorDetailsByCode];

export class BtfkitError extends Error {
  readonly code: ErrorCode;
  /** libbpf-style errno (positive), when the operation has a libbpf equivalent. */
  readonly errno: number;
  readonly where: ErrorLocation;
  /** Optional structured payload (ErrorDetailsByCode: e.g. the unmapped types of a failed relocation). */
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, opts: { errno?: number; where?: ErrorLocation; details?: ErrorDetails } = {}) {
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
