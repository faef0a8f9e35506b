import { EM } from '../elf/constants.js';
import type { ElfInfo } from '../elf/elf-info.js';

/**
 * What the dynamic loaders of one architecture (ABI) need to know, as Debian builds them: the
 * multiarch triplet, glibc's interpreter names, `$LIB` and `$PLATFORM`, the ld.so.cache flags that mark
 * this ABI's entries, glibc-hwcaps subdirectories, and musl's ARCH name.
 */
export interface Arch {
  id: string;
  machine: number;
  elfClass: 32 | 64;
  endian: 'little' | 'big';
  triplet: string;
  /** Biarch directory name (lib64, lib32, libx32) used by non-multiarch layouts, if any. */
  biarch?: string;
  glibcInterpreters: string[];
  /** `_DL_CACHE_DEFAULT_ID` for this ABI (FLAG_ELF_LIBC6 plus the architecture bits). */
  cacheFlags: number;
  /** glibc-hwcaps subdirectories in priority order (highest first). */
  hwcaps: string[];
  platform: string;
  muslArch?: string;
  /** Tells ABIs apart that share machine and class (hard vs soft float, x32). */
  matches?: (elf: ElfInfo) => boolean;
}

const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_SPARC_LIB64 = 0x0100;
const FLAG_X8664_LIB64 = 0x0300;
const FLAG_S390_LIB64 = 0x0400;
const FLAG_POWERPC_LIB64 = 0x0500;
const FLAG_MIPS64_LIBN32 = 0x0600;
const FLAG_MIPS64_LIBN64 = 0x0700;
const FLAG_X8664_LIBX32 = 0x0800;
const FLAG_ARM_LIBHF = 0x0900;
const FLAG_AARCH64_LIB64 = 0x0a00;
const FLAG_ARM_LIBSF = 0x0b00;
const FLAG_RISCV_FLOAT_ABI_DOUBLE = 0x1000;
const FLAG_LARCH_FLOAT_ABI_DOUBLE = 0x1200;

const EF_ARM_ABI_FLOAT_HARD = 0x400;
const EF_RISCV_FLOAT_ABI_DOUBLE = 0x4;

export const ARCHES: Arch[] = [
  {
    id: 'x86_64',
    machine: EM.X86_64,
    elfClass: 64,
    endian: 'little',
    triplet: 'x86_64-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib64/ld-linux-x86-64.so.2'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_X8664_LIB64,
    hwcaps: ['x86-64-v4', 'x86-64-v3', 'x86-64-v2'],
    platform: 'x86_64',
    muslArch: 'x86_64',
  },
  {
    id: 'x32',
    machine: EM.X86_64,
    elfClass: 32,
    endian: 'little',
    triplet: 'x86_64-linux-gnux32',
    biarch: 'libx32',
    glibcInterpreters: ['/libx32/ld-linux-x32.so.2'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_X8664_LIBX32,
    hwcaps: [],
    platform: 'x86_64',
    muslArch: 'x32',
  },
  {
    id: 'i386',
    machine: EM.I386,
    elfClass: 32,
    endian: 'little',
    triplet: 'i386-linux-gnu',
    biarch: 'lib32',
    glibcInterpreters: ['/lib/ld-linux.so.2'],
    cacheFlags: FLAG_ELF_LIBC6,
    hwcaps: [],
    platform: 'i686',
    muslArch: 'i386',
  },
  {
    id: 'aarch64',
    machine: EM.AARCH64,
    elfClass: 64,
    endian: 'little',
    triplet: 'aarch64-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib/ld-linux-aarch64.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64,
    hwcaps: [],
    platform: 'aarch64',
    muslArch: 'aarch64',
  },
  {
    id: 'aarch64_be',
    machine: EM.AARCH64,
    elfClass: 64,
    endian: 'big',
    triplet: 'aarch64_be-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib/ld-linux-aarch64_be.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64,
    hwcaps: [],
    platform: 'aarch64_be',
    muslArch: 'aarch64_be',
  },
  {
    id: 'armhf',
    machine: EM.ARM,
    elfClass: 32,
    endian: 'little',
    triplet: 'arm-linux-gnueabihf',
    glibcInterpreters: ['/lib/ld-linux-armhf.so.3'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_ARM_LIBHF,
    hwcaps: [],
    platform: 'v7l',
    muslArch: 'armhf',
    matches: (e) => (e.flags & EF_ARM_ABI_FLOAT_HARD) !== 0,
  },
  {
    id: 'armel',
    machine: EM.ARM,
    elfClass: 32,
    endian: 'little',
    triplet: 'arm-linux-gnueabi',
    glibcInterpreters: ['/lib/ld-linux.so.3'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_ARM_LIBSF,
    hwcaps: [],
    platform: 'v5l',
    muslArch: 'arm',
    matches: (e) => (e.flags & EF_ARM_ABI_FLOAT_HARD) === 0,
  },
  {
    id: 'ppc64el',
    machine: EM.PPC64,
    elfClass: 64,
    endian: 'little',
    triplet: 'powerpc64le-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib64/ld64.so.2'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_POWERPC_LIB64,
    hwcaps: ['power10', 'power9'],
    platform: 'power8',
    muslArch: 'powerpc64le',
  },
  {
    id: 'ppc64',
    machine: EM.PPC64,
    elfClass: 64,
    endian: 'big',
    triplet: 'powerpc64-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib64/ld64.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_POWERPC_LIB64,
    hwcaps: [],
    platform: 'power7',
    muslArch: 'powerpc64',
  },
  {
    id: 'powerpc',
    machine: EM.PPC,
    elfClass: 32,
    endian: 'big',
    triplet: 'powerpc-linux-gnu',
    biarch: 'lib32',
    glibcInterpreters: ['/lib/ld.so.1'],
    cacheFlags: FLAG_ELF_LIBC6,
    hwcaps: [],
    platform: 'ppc',
    muslArch: 'powerpc',
  },
  {
    id: 's390x',
    machine: EM.S390,
    elfClass: 64,
    endian: 'big',
    triplet: 's390x-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib/ld64.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_S390_LIB64,
    hwcaps: ['z16', 'z15', 'z14', 'z13'],
    platform: 'z900',
    muslArch: 's390x',
  },
  {
    id: 'riscv64',
    machine: EM.RISCV,
    elfClass: 64,
    endian: 'little',
    triplet: 'riscv64-linux-gnu',
    glibcInterpreters: ['/lib/ld-linux-riscv64-lp64d.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_RISCV_FLOAT_ABI_DOUBLE,
    hwcaps: [],
    platform: 'riscv64',
    muslArch: 'riscv64',
    matches: (e) => (e.flags & 0x6) === EF_RISCV_FLOAT_ABI_DOUBLE,
  },
  {
    id: 'loong64',
    machine: EM.LOONGARCH,
    elfClass: 64,
    endian: 'little',
    triplet: 'loongarch64-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib64/ld-linux-loongarch-lp64d.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_LARCH_FLOAT_ABI_DOUBLE,
    hwcaps: [],
    platform: 'loongarch',
    muslArch: 'loongarch64',
  },
  {
    id: 'mips64el',
    machine: EM.MIPS,
    elfClass: 64,
    endian: 'little',
    triplet: 'mips64el-linux-gnuabi64',
    biarch: 'lib64',
    glibcInterpreters: ['/lib64/ld.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_MIPS64_LIBN64,
    hwcaps: [],
    platform: 'mips',
    muslArch: 'mips64el',
  },
  {
    id: 'mipsel',
    machine: EM.MIPS,
    elfClass: 32,
    endian: 'little',
    triplet: 'mipsel-linux-gnu',
    glibcInterpreters: ['/lib/ld.so.1'],
    cacheFlags: FLAG_ELF_LIBC6,
    hwcaps: [],
    platform: 'mips',
    muslArch: 'mipsel',
    matches: (e) => (e.flags & 0x20) === 0,
  },
  {
    id: 'mipsn32el',
    machine: EM.MIPS,
    elfClass: 32,
    endian: 'little',
    triplet: 'mips64el-linux-gnuabin32',
    biarch: 'lib32',
    glibcInterpreters: ['/lib32/ld.so.1'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_MIPS64_LIBN32,
    hwcaps: [],
    platform: 'mips',
    matches: (e) => (e.flags & 0x20) !== 0,
  },
  {
    id: 'sparc64',
    machine: EM.SPARCV9,
    elfClass: 64,
    endian: 'big',
    triplet: 'sparc64-linux-gnu',
    biarch: 'lib64',
    glibcInterpreters: ['/lib64/ld-linux.so.2'],
    cacheFlags: FLAG_ELF_LIBC6 | FLAG_SPARC_LIB64,
    hwcaps: [],
    platform: 'sparc64',
  },
  {
    id: 'm68k',
    machine: EM.M68K,
    elfClass: 32,
    endian: 'big',
    triplet: 'm68k-linux-gnu',
    glibcInterpreters: ['/lib/ld.so.1'],
    cacheFlags: FLAG_ELF_LIBC6,
    hwcaps: [],
    platform: 'm68k',
    muslArch: 'm68k',
  },
];

/** The ABI an ELF file belongs to, or a generic description when jailbuild has no table entry for it. */
export function archOf(elf: ElfInfo): Arch {
  const found = ARCHES.find((a) => a.machine === elf.machine && a.elfClass === elf.elfClass && a.endian === elf.endian && (a.matches?.(elf) ?? true));
  if (found) return found;
  return {
    id: `machine-${elf.machine}-${elf.elfClass}${elf.endian === 'little' ? 'le' : 'be'}`,
    machine: elf.machine,
    elfClass: elf.elfClass,
    endian: elf.endian,
    triplet: '',
    glibcInterpreters: [],
    cacheFlags: -1,
    hwcaps: [],
    platform: '',
  };
}

/**
 * True when a library can be loaded into a process of `wanted`'s ABI: same class, byte order and
 * machine (i386 accepts EM_386 only; glibc's elf_machine_matches_host), and the same float ABI where
 * the ABI is told apart by flags.
 */
export function compatibleElf(wanted: ElfInfo, candidate: ElfInfo): boolean {
  if (candidate.elfClass !== wanted.elfClass || candidate.endian !== wanted.endian || candidate.machine !== wanted.machine) {
    return false;
  }
  const arch = archOf(wanted);
  return arch.matches ? arch.matches(candidate) : true;
}
