import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferSource, FileSource, JailError, readElf } from '../../src/index.js';
import { EM } from '../../src/elf/constants.js';
import { type ElfSpec, makeElf } from '../helpers/make-elf.js';
import { STRTAB_IN_ONE_READ } from '../../src/elf/read-elf.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const parse = (buf: Buffer, name = 'test.elf') => readElf(new BufferSource(buf, name));

for (const elfClass of [32, 64] as const) {
  for (const endian of ['little', 'big'] as const) {
    test(`reads a ${elfClass}-bit ${endian}-endian file: interpreter, needs, soname, paths, flags`, () => {
      const info = parse(
        makeElf({
          elfClass,
          endian,
          machine: elfClass === 64 ? EM.PPC64 : EM.PPC,
          interpreter: '/lib/ld.so.1',
          needed: ['libc.so.6', 'libm.so.6'],
          soname: 'libx.so.1',
          rpath: '$ORIGIN/../lib',
          runpath: '/opt/lib:/opt/lib2',
          flags1: 0x800,
        }),
      );
      assert.is(info.elfClass, elfClass);
      assert.is(info.endian, endian);
      assert.is(info.machine, elfClass === 64 ? EM.PPC64 : EM.PPC);
      assert.is(info.interpreter, '/lib/ld.so.1');
      assert.equal(info.needed, ['libc.so.6', 'libm.so.6']);
      assert.is(info.soname, 'libx.so.1');
      assert.is(info.rpath, '$ORIGIN/../lib');
      assert.is(info.runpath, '/opt/lib:/opt/lib2');
      assert.is(info.flags1, 0x800);
      assert.ok(info.dynamic);
    });
  }
}

test('a file without PT_DYNAMIC and PT_INTERP is static', () => {
  const info = parse(makeElf({ noDynamic: true, type: 2 }));
  assert.not.ok(info.dynamic);
  assert.is(info.interpreter, undefined);
  assert.equal(info.needed, []);
});

test('reads .note.dlopen declarations', () => {
  const info = parse(
    makeElf({
      needed: ['libc.so.6'],
      dlopen: [
        { feature: 'zstd', priority: 'required', soname: ['libzstd.so.1'] },
        { feature: 'lz4', soname: ['liblz4.so.1', 'liblz4.so.2'] },
      ],
    }),
  );
  assert.equal(info.dlopen, [
    { feature: 'zstd', priority: 'required', soname: ['libzstd.so.1'] },
    { feature: 'lz4', priority: 'recommended', soname: ['liblz4.so.1', 'liblz4.so.2'] },
  ]);
});

test('not an ELF file: ELF_NOT_ELF naming the file', () => {
  try {
    parse(Buffer.from('#!/bin/sh\necho hi\n'), '/usr/bin/script');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, JailError);
    assert.is((err as JailError).code, 'ELF_NOT_ELF');
    assert.match((err as JailError).message, '/usr/bin/script');
  }
});

test('a truncated file names the file and the defect', () => {
  const good = makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] });
  try {
    parse(good.subarray(0, 80), '/bin/cut-short');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, JailError);
    assert.is((err as JailError).code, 'ELF_MALFORMED');
    assert.match((err as JailError).message, /^\/bin\/cut-short: program header table: bytes \d+\.\.\d+ lie past the end/);
  }
});

test('a string table without a terminating NUL is an error, not a read past the end', () => {
  const buf = makeElf({ needed: ['libc.so.6'] });
  // Overwrite every NUL of the string table's last string with 'x'.
  const at = buf.indexOf('libc.so.6\0');
  buf[at + 9] = 0x78;
  // Also shrink DT_STRSZ so the table ends right there: find it (tag 10) in the dynamic section.
  assert.throws(
    () => parse(buf),
    (err: unknown) => err instanceof JailError && /DT_NEEDED|DT_STRTAB/.test((err as Error).message),
  );
});

test('huge counts are refused before anything is allocated', () => {
  const buf = makeElf({ needed: ['libc.so.6'] });
  buf.writeUInt16LE(0xfffe, 56); // e_phnum
  assert.throws(
    () => parse(buf),
    (err: unknown) => err instanceof JailError && /program header table/.test((err as Error).message),
  );
});

test('a string table that ends just after "pthread_" is read to its end and no further', () => {
  // The name is the table's last string: the check for pthread_exit and pthread_cancel meets the end.
  const buf = makeElf({ needed: ['libc.so.6'], symbols: ['pthread_'] });
  const info = parse(buf);
  assert.equal(info.needed, ['libc.so.6']);
  assert.is(info.unwinds, undefined);
  assert.is(parse(makeElf({ needed: ['libc.so.6'], symbols: ['pthread_', 'pthread_cancel'] })).unwinds, true);
});

test('a 64-bit field past 2^53 or a dynamic tag past 32 bits is refused or skipped, never rounded', () => {
  const buf = makeElf({ needed: ['libc.so.6'] });
  // e_phoff of 2^53 (64-bit little-endian header, offset 32): no program header table can be read there.
  const far = Buffer.from(buf);
  far.writeUInt32LE(0, 32);
  far.writeUInt32LE(0x200000, 36);
  assert.throws(
    () => parse(far),
    (err: unknown) => err instanceof JailError && err.code === 'ELF_MALFORMED',
  );
  // A DT_NEEDED entry whose tag has high bits set (1 + 2^32) is no DT_NEEDED: the file reads as needing nothing.
  const info = parse(buf);
  assert.equal(info.needed, ['libc.so.6']);
  const dyn = findDynamicEntry(buf, 1);
  const odd = Buffer.from(buf);
  odd.writeUInt32LE(1, dyn + 4);
  assert.equal(parse(odd).needed, []);
  // A negative tag in 64 bits (the OS- and processor-specific ranges are far from it) is skipped too.
  const negative = Buffer.from(buf);
  negative.writeInt32LE(-5, dyn);
  negative.writeInt32LE(-1, dyn + 4);
  assert.equal(parse(negative).needed, []);
});

/** The offset of the first 64-bit little-endian dynamic entry with tag `tag` (through PT_DYNAMIC). */
function findDynamicEntry(buf: Buffer, tag: number): number {
  const phoff = Number(buf.readBigUInt64LE(32));
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * 56;
    if (buf.readUInt32LE(at) !== 2) continue;
    const offset = Number(buf.readBigUInt64LE(at + 8));
    for (let e = offset; e + 16 <= buf.length; e += 16) if (buf.readBigInt64LE(e) === BigInt(tag)) return e;
  }
  throw new Error(`no dynamic entry with tag ${tag}`);
}

test('string tables read from files, small, past the first page and over a MiB: each file keeps its own strings', () => {
  const dir = tempDir();
  const filler = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag}_symbol_${i}_${'x'.repeat(40)}`);
  const specs = [
    { file: 'small', needed: ['libsmall.so.1'], soname: 'small.so', symbols: [] as string[] },
    { file: 'page', needed: ['libpage.so.2', 'libc.so.6'], soname: 'page.so', runpath: '/opt/page', symbols: [...filler(400, 'page'), 'pthread_cancel'] },
    // Shorter than the one before, through the same borrowed buffer: the rest of that table is not its.
    { file: 'shorter', needed: ['libshorter.so.4'], symbols: filler(150, 'shorter') },
    { file: 'big', needed: ['libbig.so.3'], soname: 'big.so', rpath: '$ORIGIN/big', symbols: [...filler(25000, 'big'), 'pthread_exit'] },
  ];
  const infos = specs.map((s) => {
    const path = join(dir, s.file);
    const { file: _file, ...spec } = s;
    writeFileSync(path, makeElf(spec));
    const src = FileSource.open(path, `/${s.file}`);
    try {
      return readElf(src);
    } finally {
      src.close();
    }
  });
  assert.ok(statSync(join(dir, 'big')).size > 1024 * 1024, 'the big table is over a MiB');
  // Read in turn through one borrowed buffer: what the first file gave must not change with the next.
  assert.equal(infos[0]?.needed, ['libsmall.so.1']);
  assert.is(infos[0]?.soname, 'small.so');
  assert.equal(infos[1]?.needed, ['libpage.so.2', 'libc.so.6']);
  assert.is(infos[1]?.runpath, '/opt/page');
  assert.is(infos[1]?.unwinds, true);
  assert.equal(infos[2]?.needed, ['libshorter.so.4']);
  assert.is(infos[2]?.unwinds, undefined, 'pthread_cancel was in the table before, not in this one');
  assert.equal(infos[3]?.needed, ['libbig.so.3']);
  assert.is(infos[3]?.rpath, '$ORIGIN/big');
  assert.is(infos[3]?.unwinds, true, 'pthread_exit found in a table over a MiB');
});

test('a string table over a MiB is read in pieces: the same strings, the unwinder names found across every piece boundary, the same errors', () => {
  const MiB = STRTAB_IN_ONE_READ;
  // The table is "\0" + needed + "\0" + filler + "\0" + name + "\0": the filler's length puts the name where wanted.
  const needed = 'libneed.so.1';
  const tableWith = (name: string, nameAt: number, extra: Partial<ElfSpec> = {}): Buffer => {
    const fillerLength = nameAt - (1 + needed.length + 1) - 1;
    return makeElf({ needed: [needed], symbols: ['f'.repeat(fillerLength), name], ...extra });
  };
  // "\0pthread_cancel\0" starting anywhere from wholly inside the first piece to wholly inside the second.
  for (let nul = MiB - 20; nul <= MiB + 2; nul++) {
    const info = parse(tableWith('pthread_cancel', nul + 1));
    assert.is(info.unwinds, true, `the name's NUL at ${nul}`);
    assert.equal(info.needed, [needed]);
  }
  // A name that only looks like one (pthread_exited) at the same places is not one.
  for (let nul = MiB - 20; nul <= MiB + 2; nul += 3) assert.is(parse(tableWith('pthread_exited', nul + 1)).unwinds, undefined, `pthread_exited at ${nul}`);
  // Strings beyond the first MiB, and one longer than the first window read for a string (then the table is read whole).
  const rpath = `/opt/${'r'.repeat(70000)}`;
  const far = parse(tableWith('pthread_exit', 2 * MiB + 5, { soname: 'far.so', rpath }));
  assert.is(far.unwinds, true, 'pthread_exit as the table\u2019s last string, two MiB in');
  assert.is(far.soname, 'far.so');
  assert.is(far.rpath, rpath);
  assert.equal(far.needed, [needed]);
  // The errors of a table read whole: an offset outside it, a string with no NUL before its end, a table past the end of the file.
  const errorOf = (buf: Buffer): string => {
    try {
      parse(buf);
    } catch (err) {
      assert.instance(err, JailError);
      return (err as Error).message;
    }
    return 'no error';
  };
  for (const size of [4000, 3 * MiB]) {
    const buf = tableWith('pthread_exit', size);
    const strsz = findDynamicEntry(buf, 10);
    const table = Number(buf.readBigUInt64LE(strsz + 8));
    // The rpath, the last string, loses its NUL.
    const lastRpath = makeElf({ needed: ['n'.repeat(size)], rpath: '/last/rpath' });
    const cut = Buffer.from(lastRpath);
    const lastStrsz = findDynamicEntry(lastRpath, 10);
    cut.writeBigUInt64LE(lastRpath.readBigUInt64LE(lastStrsz + 8) - 1n, lastStrsz + 8);
    assert.is(errorOf(cut), `test.elf: DT_RPATH: string at offset ${size + 2} has no terminating NUL`);
    assert.is(parse(lastRpath).rpath, '/last/rpath');
    const noNeeded = Buffer.from(buf);
    noNeeded.writeBigUInt64LE(BigInt(table + 10), findDynamicEntry(buf, 1) + 8);
    assert.is(errorOf(noNeeded), `test.elf: DT_NEEDED: string offset ${table + 10} lies outside the string table (${table} bytes)`);
    const long = Buffer.from(buf);
    long.writeBigUInt64LE(BigInt(buf.length), strsz + 8);
    assert.match(errorOf(long), /DT_STRTAB: bytes \d+\.\.\d+ lie past the end of the file/);
  }
});

test('a crafted string table is never read more than about twice: many strings, or one longer than its window, read it whole once', () => {
  const MiB = STRTAB_IN_ONE_READ;
  /** Counts the bytes a parse reads (readBriefly reads a BufferSource through read()). */
  class CountingSource extends BufferSource {
    bytes = 0;
    override read(offset: number, length: number, what?: string): Buffer {
      this.bytes += length;
      return super.read(offset, length, what);
    }
  }
  const count = (buf: Buffer): { info: ReturnType<typeof parse>; bytes: number } => {
    const src = new CountingSource(buf, 'test.elf');
    const info = readElf(src);
    return { info, bytes: src.bytes };
  };
  // 400 needed names in a table of just over a MiB: 400 windows of 4 KiB would be 1.6 MB.
  const names = Array.from({ length: 400 }, (_, i) => `lib${i}.so`);
  const many = makeElf({ needed: names, symbols: ['f'.repeat(MiB)] });
  const manyRead = count(many);
  assert.equal(manyRead.info.needed, names);
  assert.ok(manyRead.bytes < 2 * MiB + 64 * 1024, `${manyRead.bytes} bytes read`);
  // A needed name of over a MiB, longer than its window: the table is read whole, once, not in growing windows.
  const long = 'l'.repeat(MiB + 1);
  const oneRead = count(makeElf({ needed: [long], symbols: ['g'.repeat(MiB)] }));
  assert.is(oneRead.info.needed[0]?.length, MiB + 1);
  assert.ok(oneRead.bytes < 3 * MiB + 64 * 1024, `${oneRead.bytes} bytes read for a table of ${2 * MiB} bytes`);
  // The usual case, a big table with few strings: read a piece at a time, never whole (each read at most a MiB).
  const src = new CountingSource(makeElf({ needed: ['libc.so.6'], soname: 'big.so', symbols: ['h'.repeat(3 * MiB)] }), 'test.elf');
  const reads: number[] = [];
  const read = src.read.bind(src);
  src.read = (offset: number, length: number, what?: string): Buffer => {
    reads.push(length);
    return read(offset, length, what);
  };
  assert.equal(readElf(src).needed, ['libc.so.6']);
  assert.ok(Math.max(...reads) <= MiB, `the largest read: ${Math.max(...reads)}`);
});

test.run();
