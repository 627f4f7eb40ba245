/** `btfkit elf FILE`: the sections of an ELF file, their sizes, and which BTF sections exist. */

import { type Command, str, writeStdout, UsageError } from './command.js';
import { writeFileAtomic } from '../node/files.js';
import { openInput } from '../node/load.js';
import { BtfkitError } from '../errors.js';

const BTF_SECTIONS = ['.BTF', '.BTF.base', '.BTF.ext', '.BTF_ids'];

/** e_type as readelf -h prints it. */
export function elfTypeName(t: number): string {
  switch (t) {
    case 0: return 'NONE (None)';
    case 1: return 'REL (Relocatable file)';
    case 2: return 'EXEC (Executable file)';
    case 3: return 'DYN (Shared object file)';
    case 4: return 'CORE (Core file)';
    default: return `<unknown>: ${t.toString(16)}`;
  }
}

/** e_machine as readelf -h prints it (the architectures Linux builds BTF for). */
export function elfMachineName(m: number): string {
  const names: Record<number, string> = {
    0: 'None', 2: 'Sparc', 3: 'Intel 80386', 8: 'MIPS R3000', 20: 'PowerPC', 21: 'PowerPC64', 22: 'IBM S/390',
    40: 'ARM', 43: 'Sparc v9', 62: 'Advanced Micro Devices X86-64', 183: 'AArch64', 243: 'RISC-V', 247: 'Linux BPF', 258: 'LoongArch',
  };
  return names[m] ?? `<unknown>: 0x${m.toString(16)}`;
}

export const elfCommand: Command = {
  name: 'elf',
  summary: 'list the sections of an ELF file (module, vmlinux, vmlinuz) and its BTF sections',
  usage: `Usage: btfkit elf FILE [-j | --json=FILE]

  FILE        ELF file: .ko (plain or compressed), vmlinux, or a kernel image
  -j, --json  machine-readable output on stdout (--json=FILE: to FILE)`,
  options: { json: { type: 'string' } },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('elf takes exactly one FILE');
    const input = await openInput(args[0]!);
    if (!input.elf) throw new BtfkitError('ELF', 'not an ELF file (raw BTF has no sections)', { where: { file: input.path } });
    const elf = input.elf;
    const secs = elf.sections.filter((s) => s.index > 0);
    const btf = BTF_SECTIONS.filter((n) => elf.section(n));
    const json = str(values, 'json');
    if (json !== undefined) {
      const body = JSON.stringify({
        file: input.path,
        container: input.container,
        class: elf.header.class,
        endian: elf.header.littleEndian ? 'little' : 'big',
        type: elf.header.type,
        typeName: elfTypeName(elf.header.type),
        machine: elf.header.machine,
        machineName: elfMachineName(elf.header.machine),
        btfSections: btf,
        sections: secs.map((s) => ({ index: s.index, name: s.name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, addralign: s.addralign })),
      }, null, 2) + '\n';
      if (json === '-') await writeStdout(body);
      else writeFileAtomic(json, new TextEncoder().encode(body));
      return 0;
    }
    const w = Math.max(4, ...secs.map((s) => s.name.length));
    const lines = [
      `file: ${input.path}${input.container !== 'plain' ? ` (${input.container})` : ''}`,
      `ELF${elf.header.class} ${elf.header.littleEndian ? 'little' : 'big'} endian, type ${elfTypeName(elf.header.type)}, machine ${elfMachineName(elf.header.machine)}, ${secs.length} sections`,
      `BTF sections: ${btf.length ? btf.join(', ') : 'none'}`,
      '',
      `  [Nr] ${'Name'.padEnd(w)}  ${'Offset'.padStart(10)}  ${'Size'.padStart(10)}  Flags`,
      ...secs.map((s) => `  [${String(s.index).padStart(2)}] ${s.name.padEnd(w)}  ${('0x' + s.offset.toString(16)).padStart(10)}  ${String(s.size).padStart(10)}  ${flagStr(s.flags)}${BTF_SECTIONS.includes(s.name) ? '  <- BTF' : ''}`),
    ];
    await writeStdout(lines.join('\n') + '\n');
    return 0;
  },
};

function flagStr(f: number): string {
  let s = '';
  if (f & 1) s += 'W';
  if (f & 2) s += 'A';
  if (f & 4) s += 'X';
  if (f & 0x10) s += 'M';
  if (f & 0x20) s += 'S';
  if (f & 0x40) s += 'I';
  return s || '-';
}
