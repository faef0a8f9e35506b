import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JailError } from '../../src/index.js';
import { namedPaths, pathsInString } from '../../src/elf/named-paths.js';
import { makeElf } from '../helpers/make-elf.js';
import { rng as seeded } from '../helpers/rng.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

interface Section {
  name: string;
  data: Buffer | string;
  /** SHT_PROGBITS = 1 (default), SHT_STRTAB = 3, SHT_NOBITS = 8. */
  type?: number;
  /** Overrides sh_offset (for a section that lies outside the file). */
  offset?: number;
}

interface Spec {
  elfClass?: 32 | 64;
  endian?: 'little' | 'big';
  sections: Section[];
  /** Write e_shnum = 0 and the real count in sh_size of section header 0 (as for 65280 sections or more). */
  countInSection0?: boolean;
}

/**
 * A small ELF file with section headers only (what namedPaths reads): the ELF header, each section's
 * bytes, `.shstrtab`, then the section header table, in any class and byte order.
 */
function elfWithSections({ elfClass = 64, endian = 'little', sections, countInSection0 = false }: Spec): Buffer {
  const wide = elfClass === 64;
  const little = endian === 'little';
  const ehsize = wide ? 64 : 52;
  const shentsize = wide ? 64 : 40;
  const all: Section[] = [{ name: '', data: '', type: 0 }, ...sections];
  const names = ['\0'];
  const nameAt = all.map((s) => {
    if (s.name === '') return 0;
    const at = names.join('').length;
    names.push(`${s.name}\0`);
    return at;
  });
  const shstrName = names.join('').length;
  names.push('.shstrtab\0');
  all.push({ name: '.shstrtab', data: names.join(''), type: 3 });
  nameAt.push(shstrName);

  const parts: Buffer[] = [Buffer.alloc(ehsize)];
  let size = ehsize;
  const offsets = all.map((s) => {
    const data = Buffer.from(s.data);
    const at = size;
    if (s.type !== 8) {
      parts.push(data);
      size += data.length;
    }
    return s.offset ?? at;
  });
  const pad = (8 - (size % 8)) % 8;
  parts.push(Buffer.alloc(pad));
  const shoff = size + pad;
  const table = Buffer.alloc(all.length * shentsize);
  const u32 = (buf: Buffer, at: number, v: number) => (little ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  const u16 = (buf: Buffer, at: number, v: number) => (little ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const word = (buf: Buffer, at: number, v: number) => {
    if (!wide) u32(buf, at, v);
    else if (little) buf.writeBigUInt64LE(BigInt(v), at);
    else buf.writeBigUInt64BE(BigInt(v), at);
  };
  all.forEach((s, i) => {
    const at = i * shentsize;
    const length = Buffer.from(s.data).length;
    u32(table, at, nameAt[i]!);
    u32(table, at + 4, s.type ?? 1);
    word(table, at + 8, i === 0 ? 0 : 2); // sh_flags: SHF_ALLOC
    word(table, at + (wide ? 24 : 16), i === 0 ? 0 : offsets[i]!);
    word(table, at + (wide ? 32 : 20), i === 0 ? (countInSection0 ? all.length : 0) : length);
  });
  parts.push(table);
  const file = Buffer.concat(parts);
  file.write('\x7fELF', 0, 'latin1');
  file[4] = wide ? 2 : 1;
  file[5] = little ? 1 : 2;
  file[6] = 1;
  u16(file, 16, 3); // ET_DYN
  u16(file, 18, 62);
  u32(file, 20, 1);
  word(file, wide ? 40 : 32, shoff);
  u16(file, wide ? 52 : 40, ehsize);
  u16(file, wide ? 58 : 46, shentsize);
  u16(file, wide ? 60 : 48, countInSection0 ? 0 : all.length);
  u16(file, wide ? 62 : 50, all.length - 1);
  return file;
}

/** NUL-terminated strings, one after the other, as a compiler lays out string constants. */
const cstrings = (...xs: string[]): Buffer => Buffer.from(xs.map((x) => `${x}\0`).join(''), 'latin1');

const RODATA = cstrings('/usr/share/myprog/data', '/etc/myprog.conf:/usr/local/etc/myprog.conf', '/usr/share/%s/x', 'not a path', '/', '/etc', 'cannot open /usr/share/doc', '/usr/share/myprog/data');

for (const elfClass of [32, 64] as const) {
  for (const endian of ['little', 'big'] as const) {
    test(`${elfClass}-bit ${endian}-endian: the paths in .rodata, split, cut and deduplicated`, () => {
      const file = elfWithSections({ elfClass, endian, sections: [{ name: '.rodata', data: RODATA }] });
      assert.equal(namedPaths(file), ['/etc/myprog.conf', '/usr/local/etc/myprog.conf', '/usr/share', '/usr/share/myprog/data']);
    });
  }
}

test('reads .rodata.* and .rodata1 too, but not .dynstr, .data or a NOBITS section', () => {
  const file = elfWithSections({
    sections: [
      { name: '.dynstr', data: cstrings('libc.so.6', '/opt/runpath/lib'), type: 3 },
      { name: '.rodata.str1.1', data: cstrings('/usr/lib/myprog/plugins') },
      { name: '.rodata1', data: cstrings('/var/lib/myprog') },
      { name: '.data', data: cstrings('/srv/writable/data') },
      { name: '.rodata.nobits', data: Buffer.alloc(0x10000), type: 8, offset: 0x7fffff00 },
      { name: '.rodata', data: cstrings('/usr/share/myprog') },
    ],
  });
  assert.equal(namedPaths(file), ['/usr/lib/myprog/plugins', '/usr/share/myprog', '/var/lib/myprog']);
});

test('the string rules: lists, kpathsea braces, !! and //, patterns, whitespace, length', () => {
  const cases: Array<[string, string[]]> = [
    ['/usr/share/myprog/data', ['/usr/share/myprog/data']],
    ['/etc/a.conf:/usr/local/etc/a.conf', ['/etc/a.conf', '/usr/local/etc/a.conf']],
    [':/bin:/usr/bin', ['/usr/bin']], // "/bin" has one component
    ['.:/usr/share/texmf//', ['/usr/share/texmf']],
    ['!!/usr/share/texlive/texmf-dist//tex', ['/usr/share/texlive/texmf-dist']],
    [
      '{/etc/texmf/web2c,/usr/share/texmf/web2c,$SELFAUTOPARENT/share/texmf/web2c}',
      ['/etc/texmf/web2c', '/usr/share/texmf/web2c'], // the $SELFAUTOPARENT alternative is not absolute
    ],
    ['/usr{/local,}/share/groff/{current/font,site-font}/devps', ['/usr/local/share/groff/current/font/devps', '/usr/local/share/groff/site-font/devps', '/usr/share/groff/current/font/devps', '/usr/share/groff/site-font/devps']],
    ['/usr/share/%s/x', ['/usr/share']],
    ['/usr/share/zoneinfo%s', ['/usr/share']],
    ['/var/log/$USER/x', ['/var/log']],
    ['/etc/ld.so.conf.d/*.conf', ['/etc/ld.so.conf.d']],
    ['/%s/x', []],
    ['/usr/lib/', ['/usr/lib']],
    ['/', []],
    ['/etc', []],
    ['not a path', []],
    ['cannot open /usr/share/doc', []],
    ['/usr/share/two words', []],
    ['/usr/share/tab\there', []],
    ['http://example.org/a/b', []],
    ['key:/usr/share/x', []],
    ['/usr/share/x{unbalanced', []],
    ['/usr/share/x}', []],
    ['/usr/share/caf\u00e9', []],
    [`/usr/${'a'.repeat(4091)}`, [`/usr/${'a'.repeat(4091)}`]],
    [`/usr/${'a'.repeat(4092)}`, []],
    [`/usr/${'a'.repeat(4092)}/%s`, []], // the limit holds for the path as written, before the cut
    [`/usr/share/a:/usr/${'b'.repeat(4092)}`, ['/usr/share/a']], // each path of a list on its own
  ];
  for (const [input, expected] of cases) assert.equal(pathsInString(input).sort(), expected, input);
});

test('a path right after other data (no NUL before it) is found; one inside a longer string is not', () => {
  const data = Buffer.concat([Buffer.from([0x01, 0x02, 0xfe]), cstrings('/usr/lib/myprog', 'ab/usr/lib/other', 'x /usr/lib/other')]);
  assert.equal(namedPaths(elfWithSections({ sections: [{ name: '.rodata', data }] })), ['/usr/lib/myprog']);
});

test('the section count in section header 0 (e_shnum = 0) is read', () => {
  const file = elfWithSections({ countInSection0: true, sections: [{ name: '.rodata', data: cstrings('/usr/share/big/file') }] });
  assert.equal(namedPaths(file), ['/usr/share/big/file']);
});

test('a file without section headers names nothing', () => {
  assert.equal(namedPaths(makeElf({ needed: ['libc.so.6'], runpath: '/opt/lib' })), []);
});

test('not ELF, empty or truncated: a JailError, never a crash', () => {
  const code = (buf: Buffer): string => {
    try {
      namedPaths(buf, 'x.elf');
      return 'ok';
    } catch (err) {
      assert.instance(err, JailError, String(err));
      return (err as JailError).code;
    }
  };
  assert.is(code(Buffer.alloc(0)), 'ELF_NOT_ELF');
  assert.is(code(Buffer.from('#!/bin/sh\necho /usr/share/x\n')), 'ELF_NOT_ELF');
  const file = elfWithSections({ sections: [{ name: '.rodata', data: RODATA }] });
  assert.is(code(file.subarray(0, 30)), 'ELF_MALFORMED'); // the header itself is cut
  assert.is(code(file.subarray(0, file.length - 10)), 'ELF_MALFORMED'); // the section header table is cut
  const outside = elfWithSections({ sections: [{ name: '.rodata', data: RODATA, offset: 0x100000 }] });
  try {
    namedPaths(outside, 'outside.elf');
    assert.unreachable('a section past the end of the file was read');
  } catch (err) {
    assert.instance(err, JailError);
    assert.is((err as JailError).code, 'ELF_MALFORMED');
    assert.match((err as JailError).message, /^outside\.elf: \.rodata: bytes/);
  }
});

test('only strings that cannot name a path are passed over: what a section names is what pathsInString takes from each of its strings', () => {
  // The section read as strings(1) does, every string handed to pathsInString: the reference.
  const reference = (data: Buffer): string[] => {
    const found = new Set<string>();
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const b = data[i] as number;
      if (b === 0 && i > start) for (const p of pathsInString(data.toString('latin1', start, i))) found.add(p);
      if ((b < 0x20 || b > 0x7e) && b !== 0x09) start = i + 1;
    }
    return [...found].sort();
  };
  const long = `/usr/share/${'a'.repeat(16 * 4096)}`;
  const fixed = Buffer.concat([
    cstrings('/usr/share/a b', '/usr/share/tab\there', '\t/usr/lib/x', 'no slash', 'x:y', '.', '/usr/lib/ok', long, long.slice(0, 16 * 4096), `${'/usr/lib/y:'.repeat(5957)}/usr/lib/`, `${'/usr/lib/w:'.repeat(5957)}/usr/lib/x`),
    Buffer.from([0x7f, 0x2f, 0x75, 0x73, 0x72, 0x2f, 0x6c, 0x69, 0x62, 0x2f, 0x7a, 0x00]), // DEL, then /usr/lib/z
  ]);
  assert.equal(namedPaths(elfWithSections({ sections: [{ name: '.rodata', data: fixed }] })), reference(fixed));
  // A list of exactly the longest length still names its paths; one character more, none.
  assert.equal(reference(fixed), ['/usr/lib', '/usr/lib/ok', '/usr/lib/y', '/usr/lib/z']);
  // Random bytes from an alphabet of path characters, blanks, list and brace marks, NUL and others.
  const rng = seeded(29);
  const alphabet = [0x2f, 0x2f, 0x75, 0x73, 0x72, 0x61, 0x3a, 0x2e, 0x7b, 0x7d, 0x2c, 0x25, 0x24, 0x21, 0x20, 0x09, 0x00, 0x00, 0x0a, 0x7f, 0xc3];
  for (let round = 0; round < 300; round++) {
    const data = Buffer.from(Array.from({ length: 1 + Math.floor(rng() * 400) }, () => alphabet[Math.floor(rng() * alphabet.length)] as number));
    assert.equal(namedPaths(elfWithSections({ sections: [{ name: '.rodata', data }] })), reference(data), `round ${round}`);
  }
});

test('random damage to a file gives paths or a JailError, never another exception', () => {
  const rng = seeded(16);
  const bases = ([32, 64] as const).flatMap((elfClass) => (['little', 'big'] as const).map((endian) => elfWithSections({ elfClass, endian, sections: [{ name: '.rodata', data: RODATA }] })));
  for (let round = 0; round < 3000; round++) {
    const base = bases[round % bases.length]!;
    const file = Buffer.from(base.subarray(0, round % 5 === 0 ? Math.floor(rng() * base.length) : base.length));
    for (let k = 0; k < 1 + Math.floor(rng() * 4); k++) if (file.length > 0) file[Math.floor(rng() * file.length)] = Math.floor(rng() * 256);
    try {
      const out = namedPaths(file);
      assert.ok(Array.isArray(out));
    } catch (err) {
      if (!(err instanceof JailError)) assert.unreachable(`round ${round}: ${(err as Error).stack}`);
    }
  }
});

test.run();
