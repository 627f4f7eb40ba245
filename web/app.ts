/**
 * The btfkit browser page (web/index.html): pick or drop a BTF file (raw BTF, a vmlinux or
 * `.ko` ELF, an xz or gzip compressed module), and see the summary `btfkit info` prints and
 * the C dump (`btfkit dump --format c`, bpftool's vmlinux.h). Everything runs in the page on
 * the library bundle (dist/web/btfkit.js); nothing is uploaded anywhere.
 *
 * A module's split BTF needs its base: a module with `.BTF.base` is read on that distilled
 * base; without one, the page asks for the kernel's BTF (the second file field).
 */
import {
  BtfkitError, parseBtf, btfMagicEndian, parseElf, isElf, btfOfElf, btfInfo, formatInfo, dumpCText, decodeXz, type Btf,
} from './btfkit-web.js';

/** Caps on what the page decodes, as the CLI's defaults. */
const MAX_OUTPUT = 256 * 1024 * 1024;

interface Picked {
  name: string;
  bytes: Uint8Array;
}

/** Raw BTF or ELF bytes from a file as stored (plain, xz or gzip). */
async function unpack(f: Picked): Promise<Uint8Array> {
  const b = f.bytes;
  if (btfMagicEndian(b) || isElf(b)) return b;
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0) {
    return decodeXz(b, { maxOutput: MAX_OUTPUT });
  }
  if (b[0] === 0x1f && b[1] === 0x8b) {
    const stream = new Blob([b as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  throw new BtfkitError('IMAGE', 'not raw BTF, an ELF file, or an xz/gzip compressed one', { where: { file: f.name } });
}

/** The BTF of a file, split on `base` where it needs one (libbpf's btf__parse_split rules). */
async function load(f: Picked, base: Btf | null): Promise<{ btf: Btf; note: string }> {
  const bytes = await unpack(f);
  if (btfMagicEndian(bytes)) return { btf: parseBtf(bytes, { base }), note: base ? 'raw split BTF on the chosen base' : 'raw BTF' };
  const r = btfOfElf(parseElf(bytes), base, { relocate: false });
  const note = r.distilledBase ? 'module with .BTF.base: split BTF read on its distilled base' : base ? 'split BTF on the chosen base' : 'ELF .BTF';
  return { btf: r.btf, note };
}

/** What to try next after a failure that is most likely about the base. */
function hint(e: unknown, haveBase: boolean): string {
  if (!(e instanceof BtfkitError) || !/base|string|type \[?\d/i.test(e.message)) return '';
  return haveBase ? ' (is the base the kernel this module was built for?)' : ' (split BTF? choose the kernel\'s BTF as base)';
}

async function pickedFrom(input: HTMLInputElement): Promise<Picked | null> {
  const file = input.files?.[0];
  return file ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) } : null;
}

function el<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

async function show(main: Picked, baseFile: Picked | null): Promise<void> {
  const status = el<HTMLElement>('status');
  const summary = el<HTMLElement>('summary');
  const cdump = el<HTMLElement>('cdump');
  summary.textContent = '';
  cdump.textContent = '';
  status.textContent = `reading ${main.name}…`;
  try {
    const base = baseFile ? (await load(baseFile, null)).btf : null;
    const { btf, note } = await load(main, base);
    const info = btfInfo(btf);
    summary.textContent = formatInfo(info);
    summary.dataset.types = String(btf.typeCount() - 1);
    const c = dumpCText(btf);
    cdump.textContent = c;
    status.textContent = `${main.name}: ${note}; ${btf.typeCount() - 1} types, C dump ${c.length} bytes`;
    status.dataset.state = 'done';
  } catch (e) {
    const msg = e instanceof BtfkitError ? e.describe() : String(e);
    status.textContent = `${main.name}: ${msg}${hint(e, baseFile !== null)}`;
    status.dataset.state = 'error';
  }
}

function setup(): void {
  const fileInput = el<HTMLInputElement>('file');
  const baseInput = el<HTMLInputElement>('base');
  const run = async (): Promise<void> => {
    const main = await pickedFrom(fileInput);
    if (main) await show(main, await pickedFrom(baseInput));
  };
  fileInput.addEventListener('change', () => void run());
  baseInput.addEventListener('change', () => void run());
  const drop = el<HTMLElement>('drop');
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const file = ev.dataTransfer?.files[0];
    if (!file) return;
    void file.arrayBuffer().then(async (buf) => show({ name: file.name, bytes: new Uint8Array(buf) }, await pickedFrom(baseInput)));
  });
  el<HTMLElement>('status').dataset.state = 'ready';
}

setup();
