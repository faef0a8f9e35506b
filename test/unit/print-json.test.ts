import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Output, PRINT_PIECE, printJson, printJsonList } from '../../src/cli/output.js';

/** An Output that keeps every write apart. */
function recorder(): Output & { writes: string[] } {
  const writes: string[] = [];
  return { writes, stdout: (t) => void writes.push(t), stderr: () => {} };
}

/** Items shaped like resolve's: nested objects and lists, strings that JSON must escape, characters outside the BMP and a lone surrogate. */
function items(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    input: `/usr/bin/p${i} "quoted"\n\ttabbed \\ back`,
    kind: i % 3 === 0 ? 'elf' : 'script',
    needs: [`/lib/x86_64-linux-gnu/libc.so.6`, `/usr/share/é/ü/${'😀'.repeat(i % 4)}`, `\uD800 alone`],
    missing: [],
    entries: [{ path: `/x/${i}`, kind: 'file', reason: { kind: 'needed', from: `/usr/bin/p${i}`, origin: { file: 'p.json', line: i } }, role: 'library' }],
    empty: {},
    nothing: null,
    flag: i % 2 === 0,
    count: i * 1.5,
  }));
}

test('printJsonList writes exactly what JSON.stringify of the whole document writes', () => {
  for (const n of [0, 1, 2, 7, 3000]) {
    const list = items(n);
    const out = recorder();
    printJsonList(out, 'binaries', list);
    assert.is(out.writes.join(''), `${JSON.stringify({ binaries: list }, null, 2)}\n`, `${n} items`);
  }
});

test('printJsonList writes a long list in pieces of about PRINT_PIECE, never one text of it all', () => {
  const list = items(3000);
  const whole = `${JSON.stringify({ binaries: list }, null, 2)}\n`;
  assert.ok(whole.length > 8 * PRINT_PIECE, 'the test list is long enough');
  const out = recorder();
  printJsonList(out, 'binaries', list);
  assert.ok(out.writes.length >= whole.length / (2 * PRINT_PIECE), `${out.writes.length} writes`);
  const longestItem = Math.max(...list.map((x) => JSON.stringify(x, null, 2).length + 64));
  for (const w of out.writes) assert.ok(w.length < PRINT_PIECE + longestItem, `a write of ${w.length}`);
});

test('printJsonList names its key as JSON does, and refuses an item JSON cannot hold', () => {
  const out = recorder();
  printJsonList(out, 'odd "key"\n', [{ a: 1 }]);
  assert.is(out.writes.join(''), `${JSON.stringify({ 'odd "key"\n': [{ a: 1 }] }, null, 2)}\n`);
  // undefined in a list is written as null by JSON.stringify: the same here.
  const holes = recorder();
  printJsonList(holes, 'k', [undefined, 1]);
  assert.is(holes.writes.join(''), `${JSON.stringify({ k: [undefined, 1] }, null, 2)}\n`);
  // A list with holes: each is null, as JSON.stringify writes it.
  const withHoles = (length: number, filled: Record<number, unknown>): unknown[] => Object.assign(new Array<unknown>(length), filled);
  for (const sparse of [withHoles(2, { 1: 1 }), withHoles(3, { 0: 1, 2: 2 }), withHoles(2, {})]) {
    const s = recorder();
    printJsonList(s, 'k', sparse);
    assert.is(s.writes.join(''), `${JSON.stringify({ k: sparse }, null, 2)}\n`);
  }
  assert.throws(() => printJsonList(recorder(), 'k', [{ big: 1n }]), /BigInt/);
});

test('printJson writes JSON.stringify of the value and a newline, in pieces cut after a line end', () => {
  for (const n of [0, 1, 3000]) {
    const value = { binaries: items(n), tail: 'x'.repeat(n) };
    const out = recorder();
    printJson(out, value);
    assert.is(out.writes.join(''), `${JSON.stringify(value, null, 2)}\n`);
    // Every write but the closing newline ends a line, or is the end of the text: no character is cut.
    for (const w of out.writes.slice(0, -2)) assert.ok(w.endsWith('\n'), 'a piece ends after a line end');
  }
});

test.run();
