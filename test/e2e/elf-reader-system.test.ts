/**
 * The ELF reader on this machine's files (bash, libc, curl) against readelf: it needs binutils and
 * curl, so it is an end-to-end test; test/unit/elf-reader.test.ts covers files made byte by byte.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferSource, readElf } from '../../src/index.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const parse = (buf: Buffer, name: string) => readElf(new BufferSource(buf, name));

test('agrees with readelf on the headers of system files', () => {
  for (const file of ['/bin/bash', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/bin/curl']) {
    const info = parse(readFileSync(file), file);
    const dyn = execFileSync('readelf', ['-dlW', file], { encoding: 'utf8' });
    const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
    assert.equal(info.needed, needed, `${file} DT_NEEDED`);
    const soname = /\(SONAME\)\s+Library soname: \[(.+?)\]/.exec(dyn)?.[1];
    assert.is(info.soname, soname, `${file} DT_SONAME`);
    const interp = /\[Requesting program interpreter: (.+?)\]/.exec(dyn)?.[1];
    assert.is(info.interpreter, interp, `${file} PT_INTERP`);
  }
});

test.run();
