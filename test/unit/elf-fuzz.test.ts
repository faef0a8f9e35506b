/**
 * Mutated and truncated ELF files: each one parses or is reported with a JailError that names it;
 * nothing else is ever thrown, nothing hangs, and a good file among them still resolves.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferSource, JailError, readElf, resolveInputs } from '../../src/index.js';
import { EM } from '../../src/elf/constants.js';
import { makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';
import { rng } from '../helpers/rng.js';

test.after.each(cleanupTempDirs);

const seeds: Buffer[] = [
  makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6', 'libm.so.6'], runpath: '$ORIGIN/../lib', soname: 'x' }),
  makeElf({ elfClass: 32, endian: 'big', machine: EM.PPC, interpreter: '/lib/ld.so.1', needed: ['libc.so.6'], rpath: '/opt' }),
  makeElf({ elfClass: 32, machine: EM.I386, needed: ['libc.so.6'], dlopen: [{ priority: 'required', soname: ['libz.so.1'] }] }),
  makeElf({ endian: 'big', machine: EM.S390, needed: ['a', 'b', 'c'], flags1: 0x800 }),
  readFileSync('/usr/bin/true'),
];

const EXTREMES = [0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

function mutate(seed: Buffer, rand: () => number): Buffer {
  const kind = Math.floor(rand() * 5);
  const buf = Buffer.from(seed);
  const pick = (limit: number): number => Math.floor(rand() * Math.min(limit, buf.length));
  switch (kind) {
    case 0: // truncate anywhere
      return buf.subarray(0, pick(buf.length));
    case 1: {
      // flip bytes in the headers and tables at the start
      const n = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < n; i++) buf[pick(512)] = Math.floor(rand() * 256);
      return buf;
    }
    case 2: {
      // an extreme 16- or 32-bit value over a header field
      const at = pick(Math.max(1, Math.min(buf.length, 256) - 4));
      const v = EXTREMES[Math.floor(rand() * EXTREMES.length)] as number;
      if (rand() < 0.5) buf.writeUInt16LE(v & 0xffff, at);
      else buf.writeUInt32LE(v >>> 0, at);
      return buf;
    }
    case 3: {
      // remove every NUL in a window: unterminated strings
      const start = pick(buf.length);
      for (let i = start; i < Math.min(buf.length, start + 64); i++) if (buf[i] === 0) buf[i] = 0x41;
      return buf;
    }
    default: {
      // random garbage after a valid identification
      const out = Buffer.alloc(16 + pick(4096));
      buf.copy(out, 0, 0, 16);
      for (let i = 16; i < out.length; i++) out[i] = Math.floor(rand() * 256);
      return out;
    }
  }
}

test('2,000 mutated and truncated ELF files: parsed or reported with their name, nothing else', () => {
  const rand = rng(0x6a61696c);
  let reported = 0;
  let parsed = 0;
  for (let i = 0; i < 2000; i++) {
    const seed = seeds[i % seeds.length] as Buffer;
    const input = mutate(seed, rand);
    const name = `/fuzz/case-${i}`;
    try {
      const info = readElf(new BufferSource(input, name));
      assert.ok(Array.isArray(info.needed));
      parsed++;
    } catch (err) {
      if (!(err instanceof JailError)) {
        throw new Error(`case ${i}: ${String(err)} is not a JailError`, { cause: err });
      }
      assert.ok(err.message.startsWith(`${name}: `), `case ${i}: message names the file: ${err.message}`);
      reported++;
    }
  }
  console.log(`  ELF fuzz: 2000 inputs, ${parsed} parsed, ${reported} reported`);
  assert.ok(reported > 500, 'most mutations are defects that get reported');
});

test('1,000 broken files in a root: each reported, the good program among them still resolved', () => {
  const rand = rng(42);
  const MA = '/usr/lib/x86_64-linux-gnu';
  const root = sysroot({
    '/lib64/ld-linux-x86-64.so.2': { link: `${MA}/ld-linux-x86-64.so.2` },
    [`${MA}/ld-linux-x86-64.so.2`]: makeElf({ soname: 'ld-linux-x86-64.so.2' }),
    [`${MA}/libc.so.6`]: makeElf({ soname: 'libc.so.6' }),
    '/usr/bin/good': makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] }),
  });
  const inputs: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const path = `/usr/bin/bad-${i}`;
    writeFileSync(join(root, path), mutate(seeds[i % 4] as Buffer, rand));
    inputs.push(path);
  }
  inputs.splice(500, 0, '/usr/bin/good');
  const results = resolveInputs(inputs, { root });
  const good = results.find((r) => r.input === '/usr/bin/good');
  assert.is(good?.kind, 'elf');
  assert.equal(good?.missing, []);
  assert.ok(good?.needs.some((n) => n.path === `${MA}/libc.so.6`));
  for (const r of results) {
    if (r.kind === 'error')
      assert.ok(
        r.diagnostics.some((d) => d.message.includes(r.input)),
        `${r.input} is named in its error`,
      );
  }
  const errors = results.filter((r) => r.kind === 'error').length;
  console.log(`  root fuzz: 1000 broken inputs, ${errors} reported as unreadable, the rest resolved or missing libraries`);
  assert.ok(errors > 100);
});

test.run();
