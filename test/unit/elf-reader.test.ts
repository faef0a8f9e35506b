import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferSource, JailError, readElf } from '../../src/index.js';
import { EM } from '../../src/elf/constants.js';
import { makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

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

test.run();
