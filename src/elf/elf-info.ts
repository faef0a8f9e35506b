/** What jailbuild knows about one ELF file: the fields the dynamic loader looks at, nothing more. */
export interface ElfInfo {
  elfClass: 32 | 64;
  endian: 'little' | 'big';
  osabi: number;
  abiVersion: number;
  /** e_type: ET_EXEC, ET_DYN, ... */
  type: number;
  machine: number;
  /** e_flags: holds the ABI on ARM, MIPS, RISC-V. */
  flags: number;
  /** PT_INTERP: the program interpreter, absent for static programs and most libraries. */
  interpreter?: string;
  /** True when the file has a PT_DYNAMIC segment. */
  dynamic: boolean;
  needed: string[];
  soname?: string;
  /** DT_RPATH as written (colon-separated, tokens unexpanded). */
  rpath?: string;
  /** DT_RUNPATH as written. */
  runpath?: string;
  flags1: number;
  /** Libraries the file declares it may dlopen (`.note.dlopen`). */
  dlopen: DlopenDeclaration[];
  /**
   * Its dynamic string table names pthread_exit or pthread_cancel: glibc then dlopens libgcc_s.so.1
   * to unwind the thread ("libgcc_s.so.1 must be installed for pthread_exit to work").
   */
  unwinds?: boolean;
}

/** One entry of a `.note.dlopen` note (systemd's ELF dlopen metadata specification). */
export interface DlopenDeclaration {
  feature?: string;
  description?: string;
  /** "required", "recommended" or "suggested" */
  priority: string;
  soname: string[];
}
