/**
 * The kernel configuration options that decide what a kernel does with a module's BTF, read
 * from a `.config` text (/boot/config-<ver>, /proc/config.gz once unpacked) or found inside a
 * kernel image built with CONFIG_IKCONFIG (kernel/configs.c wraps the gzip'ed .config between
 * the markers "IKCFG_ST" and "IKCFG_ED", which is what scripts/extract-ikconfig searches for).
 *
 * Options (Linux 6.12, lib/Kconfig.debug, kernel/bpf/btf.c btf_module_notify):
 * - CONFIG_DEBUG_INFO_BTF_MODULES: the kernel reads module BTF at all;
 * - CONFIG_MODULE_ALLOW_BTF_MISMATCH: when a module's BTF fails btf_parse_module, load the module
 *   without BTF instead of failing the load.
 * Library code: no `node:` imports (gunzip is the caller's).
 */

export interface KernelBtfOptions {
  /** CONFIG_MODULE_ALLOW_BTF_MISMATCH=y */
  allowBtfMismatch: boolean;
  /** CONFIG_DEBUG_INFO_BTF_MODULES=y */
  btfModules: boolean;
}

/** The `CONFIG_X=value` assignments of a .config text ("# CONFIG_X is not set" lines are absent). */
export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Does the text look like a kernel .config (at least one CONFIG_ line)? */
export function looksLikeKconfig(text: string): boolean {
  return /^(# )?CONFIG_[A-Za-z0-9_]+( is not set|=)/m.test(text);
}

export function btfOptions(text: string): KernelBtfOptions {
  const c = parseKconfig(text);
  return { allowBtfMismatch: c.get('CONFIG_MODULE_ALLOW_BTF_MISMATCH') === 'y', btfModules: c.get('CONFIG_DEBUG_INFO_BTF_MODULES') === 'y' };
}

const START = new TextEncoder().encode('IKCFG_ST');
const END = new TextEncoder().encode('IKCFG_ED');

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/**
 * The gzip stream of an embedded configuration (CONFIG_IKCONFIG) inside a kernel image or
 * vmlinux, or null. The stream starts right after "IKCFG_ST" with the gzip magic 1f 8b.
 */
export function findEmbeddedConfig(image: Uint8Array): Uint8Array | null {
  let at = 0;
  for (;;) {
    const s = indexOf(image, START, at);
    if (s < 0) return null;
    const g = s + START.length;
    if (image[g] === 0x1f && image[g + 1] === 0x8b) {
      const e = indexOf(image, END, g);
      return image.subarray(g, e < 0 ? image.length : e);
    }
    at = s + 1;
  }
}
