/** ELF constants from the System V gABI and glibc's elf.h: only the ones jailbuild reads. */

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

export const ET_EXEC = 2;
export const ET_DYN = 3;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_FLAGS = 30;
export const DT_FLAGS_1 = 0x6ffffffb;

export const DF_1_NODEFLIB = 0x800;
export const DF_1_PIE = 0x08000000;

/** e_phnum value that says the real count lives in section header 0 (sh_info). */
export const PN_XNUM = 0xffff;

/** The freedesktop.org `.note.dlopen` note: owner "FDO", type 0x407c0c0a, a JSON array in the descriptor. */
export const NT_FDO_DLOPEN_METADATA = 0x407c0c0a;

export const EM = {
  NONE: 0,
  SPARC: 2,
  I386: 3,
  M68K: 4,
  MIPS: 8,
  PARISC: 15,
  SPARC32PLUS: 18,
  PPC: 20,
  PPC64: 21,
  S390: 22,
  ARM: 40,
  SH: 42,
  SPARCV9: 43,
  IA_64: 50,
  X86_64: 62,
  AARCH64: 183,
  RISCV: 243,
  LOONGARCH: 258,
} as const;

const MACHINE_NAMES: Record<number, string> = {
  [EM.SPARC]: 'sparc',
  [EM.I386]: 'i386',
  [EM.M68K]: 'm68k',
  [EM.MIPS]: 'mips',
  [EM.PARISC]: 'parisc',
  [EM.SPARC32PLUS]: 'sparc32plus',
  [EM.PPC]: 'ppc',
  [EM.PPC64]: 'ppc64',
  [EM.S390]: 's390',
  [EM.ARM]: 'arm',
  [EM.SH]: 'sh',
  [EM.SPARCV9]: 'sparcv9',
  [EM.IA_64]: 'ia64',
  [EM.X86_64]: 'x86_64',
  [EM.AARCH64]: 'aarch64',
  [EM.RISCV]: 'riscv',
  [EM.LOONGARCH]: 'loongarch',
};

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine-${machine}`;
}
