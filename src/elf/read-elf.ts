import { JailError } from '../errors.js';
import { type ByteSource, checkRange, readBriefly } from '../io/byte-source.js';
import {
  DT_FLAGS_1,
  DT_NEEDED,
  DT_NULL,
  DT_RPATH,
  DT_RUNPATH,
  DT_SONAME,
  DT_STRSZ,
  DT_STRTAB,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  NT_FDO_DLOPEN_METADATA,
  PN_XNUM,
  PT_DYNAMIC,
  PT_INTERP,
  PT_LOAD,
  PT_NOTE,
} from './constants.js';
import { decodeDlopenNote } from './dlopen-notes.js';
import type { DlopenDeclaration, ElfInfo } from './elf-info.js';

const ELF_MAGIC = 0x7f454c46;

/** Caps that keep a hostile header from costing time or memory out of proportion to the file. */
const MAX_INTERP = 4096;
const MAX_NOTE_SEGMENT = 1024 * 1024;

interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  align: number;
}

/** True when the first bytes are the ELF magic. */
export function hasElfMagic(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === ELF_MAGIC;
}

/** Endian- and class-aware field reader over one buffer. */
class Fields {
  constructor(
    private readonly buf: Buffer,
    private readonly little: boolean,
    private readonly wide: boolean,
  ) {}

  u16(at: number): number {
    return this.little ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  u32(at: number): number {
    return this.little ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  /** A 64-bit value as a number; values past 2^53 become Infinity so that every later range check fails. */
  u64(at: number): number {
    // Two 32-bit halves: no BigInt per field (a cold run reads tens of thousands of them).
    const hi = this.little ? this.buf.readUInt32LE(at + 4) : this.buf.readUInt32BE(at);
    const lo = this.little ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at + 4);
    return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
  }

  /** An address-sized field: 4 bytes in ELFCLASS32, 8 in ELFCLASS64. */
  addr(at: number): number {
    return this.wide ? this.u64(at) : this.u32(at);
  }

  /** A signed tag of a dynamic entry (d_tag is Elf32_Sword / Elf64_Sxword). */
  tag(at: number): number {
    if (!this.wide) return this.little ? this.buf.readInt32LE(at) : this.buf.readInt32BE(at);
    // A 64-bit tag fits 32 bits when its high half is the sign extension of its low half.
    const hi = this.little ? this.buf.readInt32LE(at + 4) : this.buf.readInt32BE(at);
    const lo = this.little ? this.buf.readInt32LE(at) : this.buf.readInt32BE(at + 4);
    return hi === (lo < 0 ? -1 : 0) ? lo : Number.NaN;
  }
}

function malformed(name: string, field: string, message: string): JailError {
  return new JailError('ELF_MALFORMED', `${name}: ${field}: ${message}`, { file: name, field });
}

/**
 * Reads the loader-relevant facts of one ELF file: class, byte order, machine, PT_INTERP, the dynamic
 * entries (needed, soname, rpath, runpath, flags) and `.note.dlopen`. Reads only those bytes; any defect
 * is a JailError naming the file and the field.
 */
export function readElf(src: ByteSource): ElfInfo {
  const name = src.name;
  if (src.size < 16) throw new JailError('ELF_NOT_ELF', `${name}: not an ELF file (too short)`, { file: name });
  const ident = src.read(0, 16, 'e_ident');
  if (!hasElfMagic(ident)) throw new JailError('ELF_NOT_ELF', `${name}: not an ELF file`, { file: name });
  const cls = ident[4];
  const data = ident[5];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) throw malformed(name, 'EI_CLASS', `unknown class ${cls}`);
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) throw malformed(name, 'EI_DATA', `unknown byte order ${data}`);
  const wide = cls === ELFCLASS64;
  const little = data === ELFDATA2LSB;
  const ehsize = wide ? 64 : 52;
  const eh = new Fields(src.read(0, ehsize, 'ELF header'), little, wide);

  const type = eh.u16(16);
  const machine = eh.u16(18);
  const phoff = wide ? eh.u64(32) : eh.u32(28);
  const shoff = wide ? eh.u64(40) : eh.u32(32);
  const flags = eh.u32(wide ? 48 : 36);
  const phentsize = eh.u16(wide ? 54 : 42);
  let phnum = eh.u16(wide ? 56 : 44);
  const shentsize = eh.u16(wide ? 58 : 46);

  if (phnum === PN_XNUM) {
    // The real count is sh_info of section header 0.
    const minShent = wide ? 64 : 40;
    if (shentsize < minShent) throw malformed(name, 'e_shentsize', `${shentsize} is too small for PN_XNUM`);
    const sh0 = new Fields(src.read(shoff, minShent, 'section header 0'), little, wide);
    phnum = sh0.u32(wide ? 44 : 28);
  }

  const minPhent = wide ? 56 : 32;
  const headers: ProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize < minPhent) throw malformed(name, 'e_phentsize', `${phentsize} is smaller than ${minPhent}`);
    const table = src.read(phoff, phnum * phentsize, 'program header table');
    const ph = new Fields(table, little, wide);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      headers.push(
        wide
          ? { type: ph.u32(at), offset: ph.u64(at + 8), vaddr: ph.u64(at + 16), filesz: ph.u64(at + 32), align: ph.u64(at + 48) }
          : { type: ph.u32(at), offset: ph.u32(at + 4), vaddr: ph.u32(at + 8), filesz: ph.u32(at + 16), align: ph.u32(at + 28) },
      );
    }
  }

  const info: ElfInfo = {
    elfClass: wide ? 64 : 32,
    endian: little ? 'little' : 'big',
    osabi: ident[7] ?? 0,
    abiVersion: ident[8] ?? 0,
    type,
    machine,
    flags,
    dynamic: false,
    needed: [],
    flags1: 0,
    dlopen: [],
  };

  for (const h of headers) {
    if (h.type === PT_INTERP) {
      if (h.filesz > MAX_INTERP) throw malformed(name, 'PT_INTERP', `size ${h.filesz} is too large`);
      info.interpreter = cString(src.read(h.offset, h.filesz, 'PT_INTERP'), 0, name, 'PT_INTERP');
    }
  }

  const dynamicHeader = headers.find((h) => h.type === PT_DYNAMIC);
  if (dynamicHeader) {
    info.dynamic = true;
    readDynamic(src, dynamicHeader, headers, little, wide, info);
  }

  for (const h of headers) {
    if (h.type === PT_NOTE) info.dlopen.push(...readDlopenNotes(src, h, little));
  }
  return info;
}

function readDynamic(src: ByteSource, dyn: ProgramHeader, headers: ProgramHeader[], little: boolean, wide: boolean, info: ElfInfo): void {
  const name = src.name;
  const entsize = wide ? 16 : 8;
  // A dynamic segment that runs past the end of the file is read up to the end: the DT_NULL that ends
  // it decides, as for the loader, which sees only what is mapped.
  const available = Math.max(0, Math.min(dyn.filesz, src.size - dyn.offset));
  if (!Number.isFinite(dyn.offset) || dyn.offset > src.size) throw malformed(name, 'PT_DYNAMIC', `offset ${dyn.offset} lies past the end of the file`);
  const count = Math.floor(available / entsize);
  const f = new Fields(src.read(dyn.offset, count * entsize, 'PT_DYNAMIC'), little, wide);

  const neededOffsets: number[] = [];
  let strtab: number | undefined;
  let strsz: number | undefined;
  let soname: number | undefined;
  let rpath: number | undefined;
  let runpath: number | undefined;
  for (let i = 0; i < count; i++) {
    const at = i * entsize;
    const tag = f.tag(at);
    const val = f.addr(at + (wide ? 8 : 4));
    if (tag === DT_NULL) break;
    switch (tag) {
      case DT_NEEDED:
        neededOffsets.push(val);
        break;
      case DT_STRTAB:
        strtab = val;
        break;
      case DT_STRSZ:
        strsz = val;
        break;
      case DT_SONAME:
        soname = val;
        break;
      case DT_RPATH:
        rpath = val;
        break;
      case DT_RUNPATH:
        runpath = val;
        break;
      case DT_FLAGS_1:
        info.flags1 = Number.isFinite(val) ? val >>> 0 : 0;
        break;
      default:
        break;
    }
  }

  const wantsStrings = neededOffsets.length > 0 || soname !== undefined || rpath !== undefined || runpath !== undefined;
  if (!wantsStrings) return;
  if (strtab === undefined) throw malformed(name, 'DT_STRTAB', 'missing, but the dynamic section names strings');
  const fileOffset = vaddrToOffset(strtab, headers);
  if (fileOffset === undefined) throw malformed(name, 'DT_STRTAB', `address 0x${strtab.toString(16)} is not in any PT_LOAD segment`);
  if (strsz === undefined) throw malformed(name, 'DT_STRSZ', 'missing');
  const strings = new StringTable(src, fileOffset, strsz, neededOffsets.length + [soname, rpath, runpath].filter((o) => o !== undefined).length);
  info.needed = neededOffsets.map((off) => strings.at(off, 'DT_NEEDED'));
  if (strings.namesUnwinder()) info.unwinds = true;
  if (soname !== undefined) info.soname = strings.at(soname, 'DT_SONAME');
  if (rpath !== undefined) info.rpath = strings.at(rpath, 'DT_RPATH');
  if (runpath !== undefined) info.runpath = strings.at(runpath, 'DT_RUNPATH');
}

/**
 * The dynamic string table, read whole when that is cheap, else a piece at a time. A table of
 * megabytes (node's is 5 MB) read whole is as many megabytes of fresh memory, a page fault per 4 KiB:
 * its few strings are read one by one (a first window of STRING_WINDOW bytes each) and the search for
 * the unwinder's names goes through it a MiB at a time, through the borrowed buffer. What a crafted
 * file could make slow is read whole as before, once: a table with more strings than windows fit in
 * it, or a string longer than its window.
 */
class StringTable {
  readonly #src: ByteSource;
  readonly #at: number;
  readonly #size: number;
  /** The whole table, once read; taken apart here and dropped (a borrowed buffer, see readBriefly). */
  #whole: Buffer | undefined;

  constructor(src: ByteSource, fileOffset: number, strsz: number, strings: number) {
    this.#src = src;
    this.#at = fileOffset;
    this.#size = strsz;
    if (strsz <= STRTAB_IN_ONE_READ || strings * STRING_WINDOW >= strsz) this.#readWhole();
    else checkRange(src.name, src.size, fileOffset, strsz, 'DT_STRTAB');
  }

  #readWhole(): Buffer {
    this.#whole = readBriefly(this.#src, this.#at, this.#size, 'DT_STRTAB');
    return this.#whole;
  }

  /** The NUL-terminated string at `offset`, as cString reads it from the whole table (the same errors). */
  at(offset: number, field: string): string {
    if (this.#whole) return cString(this.#whole, offset, this.#src.name, field);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.#size) throw outsideTable(this.#src.name, field, offset, this.#size);
    const piece = readBriefly(this.#src, this.#at + offset, Math.min(this.#size - offset, STRING_WINDOW), 'DT_STRTAB');
    const end = piece.indexOf(0);
    if (end >= 0) return piece.toString('utf8', 0, end);
    return cString(this.#readWhole(), offset, this.#src.name, field);
  }

  /** namesUnwinder over the table: in pieces that overlap by a name's length less one, unless it was read whole. */
  namesUnwinder(): boolean {
    if (this.#whole) return namesUnwinder(this.#whole);
    const overlap = UNWINDER_PREFIX.length + Math.max(...UNWINDER_ENDS.map((end) => end.length)) - 1;
    for (let start = 0; ; start += STRTAB_IN_ONE_READ - overlap) {
      const length = Math.min(STRTAB_IN_ONE_READ, this.#size - start);
      if (namesUnwinder(readBriefly(this.#src, this.#at + start, length, 'DT_STRTAB'))) return true;
      if (start + length >= this.#size) return false;
    }
  }
}

/** The first read for a string of a table read a piece at a time: real names and search paths are far shorter. */
const STRING_WINDOW = 4096;

/** A string table up to this size is read in one read; a larger one a piece at a time. */
export const STRTAB_IN_ONE_READ = 1024 * 1024;

/** Functions whose call makes glibc dlopen libgcc_s.so.1 to unwind the thread, after their common prefix. */
const UNWINDER_PREFIX = Buffer.from('\0pthread_', 'latin1');
const UNWINDER_ENDS = ['exit\0', 'cancel\0'].map((s) => Buffer.from(s, 'latin1'));

/** The string table names pthread_exit or pthread_cancel as a whole string: one pass over it (a C++ library's table runs to megabytes). */
function namesUnwinder(table: Buffer): boolean {
  for (let at = table.indexOf(UNWINDER_PREFIX); at >= 0; at = table.indexOf(UNWINDER_PREFIX, at + 1)) {
    const rest = at + UNWINDER_PREFIX.length;
    if (UNWINDER_ENDS.some((end) => rest + end.length <= table.length && table.compare(end, 0, end.length, rest, rest + end.length) === 0)) return true;
  }
  return false;
}

/** Maps a virtual address to a file offset through the PT_LOAD segment that holds it. */
function vaddrToOffset(vaddr: number, headers: ProgramHeader[]): number | undefined {
  for (const h of headers) {
    if (h.type !== PT_LOAD) continue;
    if (vaddr >= h.vaddr && vaddr < h.vaddr + h.filesz) return vaddr - h.vaddr + h.offset;
  }
  return undefined;
}

function outsideTable(name: string, field: string, offset: number, size: number): JailError {
  return malformed(name, field, `string offset ${offset} lies outside the string table (${size} bytes)`);
}

/** The NUL-terminated string at `offset` of a string table. */
function cString(buf: Buffer, offset: number, name: string, field: string): string {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= buf.length) throw outsideTable(name, field, offset, buf.length);
  const end = buf.indexOf(0, offset);
  if (end < 0) throw malformed(name, field, `string at offset ${offset} has no terminating NUL`);
  return buf.toString('utf8', offset, end);
}

function readDlopenNotes(src: ByteSource, h: ProgramHeader, little: boolean): DlopenDeclaration[] {
  const name = src.name;
  if (h.filesz > MAX_NOTE_SEGMENT) throw malformed(name, 'PT_NOTE', `size ${h.filesz} is too large`);
  const seg = src.read(h.offset, h.filesz, 'PT_NOTE');
  const f = new Fields(seg, little, false);
  const align = h.align === 8 ? 8 : 4;
  const pad = (n: number): number => (n + align - 1) & ~(align - 1);
  const found: DlopenDeclaration[] = [];
  let at = 0;
  while (at + 12 <= seg.length) {
    const namesz = f.u32(at);
    const descsz = f.u32(at + 4);
    const ntype = f.u32(at + 8);
    const nameStart = at + 12;
    // Offsets are aligned from the start of the segment (8 for 64-bit GNU property notes).
    const descStart = pad(nameStart + namesz);
    const next = pad(descStart + descsz);
    if (descStart + descsz > seg.length) throw malformed(name, 'PT_NOTE', `note at offset ${h.offset + at} runs past its segment`);
    if (ntype === NT_FDO_DLOPEN_METADATA && seg.toString('latin1', nameStart, nameStart + namesz).replace(/\0+$/, '') === 'FDO') {
      found.push(...decodeDlopenNote(seg.subarray(descStart, descStart + descsz)).declarations);
    }
    if (next <= at) break;
    at = next;
  }
  return found;
}
