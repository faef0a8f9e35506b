/** The profile validator compiled at build time answers exactly as the schema compiled at run time. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHIPPED_PROFILES } from '../../src/profile/validate-profile.js';

const require = createRequire(import.meta.url);
type Validate = ((v: unknown) => boolean) & { errors?: unknown[] | null; schemaSha256?: string };

test('the built validator is made from the shipped schema and agrees with ajv compiling it, on valid and broken profiles', () => {
  const built = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'src', 'profile', 'profile-validator.cjs');
  assert.ok(existsSync(built), `${built} is made by npm run build (scripts/build-validator.mjs)`);
  const text = readFileSync(join(SHIPPED_PROFILES, 'schema.json'), 'utf8');
  const standalone = require(built) as Validate;
  assert.is(standalone.schemaSha256, createHash('sha256').update(text).digest('hex'));
  const AjvModule = require('ajv') as { default: new (o: object) => { compile(s: object): Validate } };
  const compiled = new AjvModule.default({ allErrors: true, strict: false }).compile(JSON.parse(text) as object);
  const docs: unknown[] = readdirSync(SHIPPED_PROFILES)
    .filter((n) => n.endsWith('.json') && n !== 'schema.json')
    .map((n) => JSON.parse(readFileSync(join(SHIPPED_PROFILES, n), 'utf8')) as unknown);
  docs.push({ binarys: ['/bin/ls'] }, { binaries: [{ path: 3 }] }, { users: [{ name: 'Root:x', uid: 0 }] }, { devices: ['nope'], mode: '999' }, [], 'text', null);
  for (const doc of docs) {
    const a = standalone(doc);
    const b = compiled(doc);
    assert.is(a, b, JSON.stringify(doc).slice(0, 80));
    assert.equal(standalone.errors ?? null, compiled.errors ?? null, JSON.stringify(doc).slice(0, 80));
  }
});

test.run();
