import { JailError } from '../errors.js';
import { BufferSource, FileSource, type ByteSource } from '../io/byte-source.js';
import { ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB } from './constants.js';

const ELF_MAGIC = 0x7f454c46;
const SHT_NOBITS = 8;
const SHF_COMPRESSED = 0x800;
const SHN_XINDEX = 0xffff;
/** PATH_MAX: a longer string is not a path a program opens. */
const MAX_PATH = 4096;
/** A longer string (a list of paths) is not looked at. */
const MAX_STRING = 16 * MAX_PATH;
/** A brace expression with more alternatives than this is left out whole, not expanded. */
const MAX_ALTERNATIVES = 64;
/** Characters that end the literal part of a path: printf directives, kpathsea variables, globs. */
const PATTERN = /[%$*?]/;

/**
 * The absolute paths an ELF file names in its read-only data: the strings of its `.rodata`, `.rodata1`
 * and `.rodata.*` sections (not `.dynstr`, whose RPATH and RUNPATH the resolver reads already), found
 * through the section headers. Such literals are where programs keep their data folders
 * (ghostscript's `Resource/Init`, kpathsea's `texmf.cnf` path, groff's font path, tcl's library).
 *
 * A string is the run of printable ASCII that ends at a NUL (as strings(1) finds it, so bytes of
 * other data just before it are not part of it). It counts when it holds no whitespace and, split
 * into the paths it lists, gives absolute paths of at least two components and at most 4096 bytes
 * (each path; a string of more than 64 KiB is not looked at):
 * - colon-separated lists (`/etc/a.conf:/usr/local/etc/a.conf`, `:/bin:/usr/bin`) are split, and
 *   are taken only when every element is empty, `.` or absolute;
 * - kpathsea braces are expanded (`/usr{/local,}/share` gives `/usr/local/share` and `/usr/share`),
 *   a leading `!!` is dropped and a path is cut at `//`;
 * - a path holding `%` (a printf directive), `$` (a variable), `*` or `?` (a glob) is cut to the
 *   folder that holds the first one (`/usr/share/%s/x` gives `/usr/share`).
 * Returns them deduplicated and sorted. A file without section headers names none; one that is not
 * ELF, or whose section headers or sections lie outside the file, is a JailError.
 */
export function namedPaths(bytes: Buffer, name = 'ELF file'): string[] {
  return namedPathsIn(new BufferSource(bytes, name));
}

/** `namedPaths` of the file at `path`, reading only its headers and read-only data sections. */
export function namedPathsOfFile(path: string): string[] {
  const src = FileSource.open(path, path);
  try {
    return namedPathsIn(src);
  } finally {
    src.close();
  }
}

/** `namedPaths` over any byte source. */
export function namedPathsIn(src: ByteSource): string[] {
  const found = new Set<string>();
  for (const section of readOnlyData(src)) {
    for (const s of pathCandidates(section)) for (const p of pathsInString(s)) found.add(p);
  }
  return [...found].sort();
}

/** The bytes of each read-only data section of the ELF file in `src`. */
function readOnlyData(src: ByteSource): Buffer[] {
  const name = src.name;
  if (src.size < 16 || src.read(0, 4).readUInt32BE(0) !== ELF_MAGIC) throw new JailError('ELF_NOT_ELF', `${name}: not an ELF file`, { file: name });
  const ident = src.read(0, 16, 'e_ident');
  if (ident[4] !== ELFCLASS32 && ident[4] !== ELFCLASS64) throw malformed(name, 'EI_CLASS', `unknown class ${ident[4]}`);
  if (ident[5] !== ELFDATA2LSB && ident[5] !== ELFDATA2MSB) throw malformed(name, 'EI_DATA', `unknown byte order ${ident[5]}`);
  const wide = ident[4] === ELFCLASS64;
  const little = ident[5] === ELFDATA2LSB;
  const f = fields(src.read(0, wide ? 64 : 52, 'ELF header'), little);
  const shoff = wide ? f.u64(40) : f.u32(32);
  const shentsize = f.u16(wide ? 58 : 46);
  let shnum = f.u16(wide ? 60 : 48);
  let shstrndx = f.u16(wide ? 62 : 50);
  if (shoff === 0) return [];
  const minEnt = wide ? 64 : 40;
  if (shentsize < minEnt) throw malformed(name, 'e_shentsize', `${shentsize} is smaller than ${minEnt}`);

  const header = (i: number): { name: number; type: number; flags: number; offset: number; size: number; link: number } => {
    const h = fields(src.read(shoff + i * shentsize, minEnt, `section header ${i}`), little);
    return wide ? { name: h.u32(0), type: h.u32(4), flags: h.u64(8), offset: h.u64(24), size: h.u64(32), link: h.u32(40) } : { name: h.u32(0), type: h.u32(4), flags: h.u32(8), offset: h.u32(16), size: h.u32(20), link: h.u32(24) };
  };
  // With 0 sections or the escape index, the real count and string-table index are in section header 0.
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    const h0 = header(0);
    if (shnum === 0) shnum = h0.size;
    if (shstrndx === SHN_XINDEX) shstrndx = h0.link;
  }
  if (shnum === 0) return [];
  if (shstrndx >= shnum) throw malformed(name, 'e_shstrndx', `${shstrndx} is not below the ${shnum} sections`);
  src.read(shoff, shnum * shentsize, 'section header table'); // one range check for the whole table
  const headers = Array.from({ length: shnum }, (_, i) => header(i));
  const strtab = headers[shstrndx]!;
  const names = strtab.type === SHT_NOBITS ? Buffer.alloc(0) : src.read(strtab.offset, strtab.size, 'section name table');

  const out: Buffer[] = [];
  for (const h of headers) {
    const end = names.indexOf(0, h.name);
    const sectionName = h.name < names.length && end >= 0 ? names.toString('latin1', h.name, end) : '';
    const readOnly = sectionName === '.rodata' || sectionName === '.rodata1' || sectionName.startsWith('.rodata.');
    if (!readOnly || h.type === SHT_NOBITS || (h.flags & SHF_COMPRESSED) !== 0 || h.size === 0) continue;
    out.push(src.read(h.offset, h.size, sectionName));
  }
  return out;
}

/**
 * Each run of printable ASCII (space and tab included) that ends at a NUL, as strings(1) finds them,
 * but only those pathsInString can take a path from: with a `/`, without a space or tab, and not too
 * long. The others (most strings of a program: messages, format strings, names) are not made into
 * strings at all.
 */
function* pathCandidates(data: Buffer): Generator<string> {
  let start = 0;
  let slash = false;
  let blank = false;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0 && i > start && slash && !blank && i - start <= MAX_STRING) yield data.toString('latin1', start, i);
    if (b === 0x2f) slash = true;
    else if (b === 0x20 || b === 0x09) blank = true;
    else if (b < 0x20 || b > 0x7e) {
      start = i + 1;
      slash = false;
      blank = false;
    }
  }
}

/**
 * The absolute paths one string names, by the rules of `namedPaths`: none when it holds whitespace or
 * a byte outside printable ASCII, or lists anything but paths; a path longer than 4096 bytes is left out.
 */
export function pathsInString(s: string): string[] {
  if (s.length > MAX_STRING || !/^[\x21-\x7e]+$/.test(s)) return [];
  const out: string[] = [];
  for (const alternative of expandBraces(s)) {
    const elements = alternative.split(':');
    if (!elements.every((e) => e === '' || e === '.' || /^(!!)?\//.test(e))) continue;
    for (let e of elements) {
      if (e.startsWith('!!')) e = e.slice(2);
      const cut = literalPrefix(e);
      if (cut !== null) out.push(cut);
    }
  }
  return out;
}

/** The literal folder prefix of one absolute path, or null when fewer than two components remain. */
function literalPrefix(path: string): string | null {
  if (path.length > MAX_PATH) return null;
  let p = path;
  const doubled = p.indexOf('//');
  if (doubled >= 0) p = p.slice(0, doubled);
  const pattern = p.search(PATTERN);
  if (pattern >= 0) p = p.slice(0, p.lastIndexOf('/', pattern));
  p = p.replace(/\/+$/, '');
  if (!p.startsWith('/')) return null;
  return p.split('/').filter(Boolean).length >= 2 ? p : null;
}

/** Every alternative of kpathsea/shell braces (`a{b,c}d` → abd, acd); unbalanced braces or too many alternatives give []. */
function expandBraces(s: string): string[] {
  const open = s.indexOf('{');
  if (open < 0) return s.includes('}') ? [] : [s];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < s.length && close < 0; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) close = i;
    else if (s[i] === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [];
  const cuts = [open, ...commas, close];
  const head = s.slice(0, open);
  const tails = expandBraces(s.slice(close + 1));
  const out: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    for (const middle of expandBraces(s.slice(cuts[k]! + 1, cuts[k + 1]))) {
      for (const tail of tails) {
        out.push(head + middle + tail);
        if (out.length > MAX_ALTERNATIVES) return [];
      }
    }
  }
  return out;
}

interface Fields {
  u16(at: number): number;
  u32(at: number): number;
  /** A 64-bit value; past 2^53 it is Infinity, so that every later range check fails. */
  u64(at: number): number;
}

function fields(buf: Buffer, little: boolean): Fields {
  return {
    u16: (at) => (little ? buf.readUInt16LE(at) : buf.readUInt16BE(at)),
    u32: (at) => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at)),
    u64: (at) => {
      const v = little ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
    },
  };
}

function malformed(name: string, field: string, message: string): JailError {
  return new JailError('ELF_MALFORMED', `${name}: ${field}: ${message}`, { file: name, field });
}
