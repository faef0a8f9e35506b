/** The README's "Diagnostics" table lists exactly the codes of src/codes.ts, with the same meanings. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CODES } from '../../src/codes.js';

const README = join(fileURLToPath(new URL('../../..', import.meta.url)), 'README.md');

test('every code is in the README table, and the table has no other', () => {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Diagnostics'), text.indexOf('\n## ', text.indexOf('## Diagnostics') + 5));
  const rows = new Map([...section.matchAll(/^\| `([A-Z_]+)` \| (.*) \|$/gm)].map((m) => [m[1] as string, m[2] as string]));
  assert.equal([...rows.keys()].sort(), Object.keys(CODES).sort());
  for (const [code, meaning] of Object.entries(CODES)) assert.is(rows.get(code), meaning, code);
});

test.run();
