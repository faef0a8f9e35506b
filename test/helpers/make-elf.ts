/**
 * Builds small, valid ELF files in memory for tests: any class, byte order and machine, with a
 * PT_INTERP, a PT_DYNAMIC (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH, DT_FLAGS_1) and `.note.dlopen`
 * notes. The layout is one PT_LOAD mapping the whole file at VADDR, so string addresses resolve.
 */
export interface ElfSpec {
  elfClass?: 32 | 64;
  endian?: 'little' | 'big';
  machine?: number;
  /** ET_EXEC = 2, ET_DYN = 3 (default). */
  type?: number;
  flags?: number;
  interpreter?: string;
  needed?: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  flags1?: number;
  dlopen?: Array<{ feature?: string; priority?: string; soname: string[] }>;
  /** More names in the dynamic string table (the symbols a file imports or defines). */
  symbols?: string[];
  /** Leave out PT_DYNAMIC entirely (a static program). */
  noDynamic?: boolean;
}

const VADDR = 0x400000;

class Writer {
  readonly parts: Buffer[] = [];
  size = 0;
  constructor(
    readonly little: boolean,
    readonly wide: boolean,
  ) {}

  bytes(b: Buffer): number {
    const at = this.size;
    this.parts.push(b);
    this.size += b.length;
    return at;
  }

  align(n: number): void {
    const pad = (n - (this.size % n)) % n;
    if (pad) this.bytes(Buffer.alloc(pad));
  }
}

function u16(w: Writer, v: number): Buffer {
  const b = Buffer.alloc(2);
  if (w.little) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}
function u32(w: Writer, v: number): Buffer {
  const b = Buffer.alloc(4);
  if (w.little) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}
function word(w: Writer, v: number): Buffer {
  if (!w.wide) return u32(w, v);
  const b = Buffer.alloc(8);
  if (w.little) b.writeBigUInt64LE(BigInt(v));
  else b.writeBigUInt64BE(BigInt(v));
  return b;
}

export function makeElf(spec: ElfSpec = {}): Buffer {
  const wide = (spec.elfClass ?? 64) === 64;
  const little = (spec.endian ?? 'little') === 'little';
  const w = new Writer(little, wide);
  const ehsize = wide ? 64 : 52;
  const phentsize = wide ? 56 : 32;

  // String table.
  const strings: string[] = [''];
  const offsets = new Map<string, number>();
  let strSize = 1;
  const str = (s: string): number => {
    let off = offsets.get(s);
    if (off === undefined) {
      off = strSize;
      offsets.set(s, off);
      strings.push(s);
      strSize += Buffer.byteLength(s) + 1;
    }
    return off;
  };
  const dyn: Array<[number, number]> = [];
  for (const n of spec.needed ?? []) dyn.push([1, str(n)]);
  if (spec.soname !== undefined) dyn.push([14, str(spec.soname)]);
  if (spec.rpath !== undefined) dyn.push([15, str(spec.rpath)]);
  if (spec.runpath !== undefined) dyn.push([29, str(spec.runpath)]);
  if (spec.flags1 !== undefined) dyn.push([0x6ffffffb, spec.flags1]);
  for (const sym of spec.symbols ?? []) str(sym);
  const strtab = Buffer.concat(strings.map((s) => Buffer.from(s + '\0', 'utf8')));

  const phdrs: Array<{ type: number; offset: number; filesz: number; align: number }> = [];
  const hasDynamic = !spec.noDynamic;
  const phnum = 1 + (spec.interpreter !== undefined ? 1 : 0) + (hasDynamic ? 1 : 0) + (spec.dlopen ? 1 : 0);

  // Header and program headers are written last into reserved space.
  w.bytes(Buffer.alloc(ehsize + phnum * phentsize));

  if (spec.interpreter !== undefined) {
    const b = Buffer.from(spec.interpreter + '\0');
    phdrs.push({ type: 3, offset: w.bytes(b), filesz: b.length, align: 1 });
  }
  w.align(8);
  const strOff = w.bytes(strtab);
  if (hasDynamic) {
    dyn.push([5, VADDR + strOff], [10, strtab.length], [0, 0]);
    w.align(8);
    const dynBuf = Buffer.concat(dyn.flatMap(([t, v]) => [word(w, t), word(w, v)]));
    phdrs.push({ type: 2, offset: w.bytes(dynBuf), filesz: dynBuf.length, align: 8 });
  }
  if (spec.dlopen) {
    w.align(4);
    const name = Buffer.from('FDO\0');
    const json = Buffer.from(JSON.stringify(spec.dlopen.map((d) => ({ priority: 'recommended', ...d }))) + '\0');
    const descPad = Buffer.alloc((4 - (json.length % 4)) % 4);
    const note = Buffer.concat([u32(w, name.length), u32(w, json.length), u32(w, 0x407c0c0a), name, json, descPad]);
    phdrs.push({ type: 4, offset: w.bytes(note), filesz: note.length, align: 4 });
  }
  const total = w.size;
  phdrs.unshift({ type: 1, offset: 0, filesz: total, align: 0x1000 });

  const file = Buffer.concat(w.parts);
  // ELF header.
  file.write('\x7fELF', 0, 'latin1');
  file[4] = wide ? 2 : 1;
  file[5] = little ? 1 : 2;
  file[6] = 1;
  const put = (at: number, b: Buffer): void => void b.copy(file, at);
  put(16, u16(w, spec.type ?? 3));
  put(18, u16(w, spec.machine ?? 62));
  put(20, u32(w, 1));
  put(wide ? 32 : 28, word(w, ehsize)); // e_phoff
  put(wide ? 48 : 36, u32(w, spec.flags ?? 0));
  put(wide ? 52 : 40, u16(w, ehsize));
  put(wide ? 54 : 42, u16(w, phentsize));
  put(wide ? 56 : 44, u16(w, phdrs.length));
  put(wide ? 58 : 46, u16(w, wide ? 64 : 40));
  phdrs.forEach((p, i) => {
    const at = ehsize + i * phentsize;
    const vaddr = VADDR + p.offset;
    put(at, u32(w, p.type));
    if (wide) {
      put(at + 4, u32(w, 4)); // p_flags
      put(at + 8, word(w, p.offset));
      put(at + 16, word(w, vaddr));
      put(at + 24, word(w, vaddr));
      put(at + 32, word(w, p.filesz));
      put(at + 40, word(w, p.filesz));
      put(at + 48, word(w, p.align));
    } else {
      put(at + 4, u32(w, p.offset));
      put(at + 8, u32(w, vaddr));
      put(at + 12, u32(w, vaddr));
      put(at + 16, u32(w, p.filesz));
      put(at + 20, u32(w, p.filesz));
      put(at + 24, u32(w, 4));
      put(at + 28, u32(w, p.align));
    }
  });
  return file;
}
