#!/usr/bin/env node
// Compiles profiles/schema.json into a standalone validator at build time (ajv's standalone code),
// so no command compiles the schema at run time: that compile was about 65 ms of a 290 ms one-program
// build. Writes dist/src/profile/profile-validator.cjs, which records the sha256 of the schema it was
// made from; src/profile/validate-profile.ts uses it only when the schema still has that hash, and
// compiles the schema itself otherwise (a build made with plain `tsc`, or an edited schema).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const text = readFileSync(join(top, 'profiles', 'schema.json'), 'utf8');
// The options must be the ones validate-profile.ts compiles with.
const ajv = new (Ajv.default ?? Ajv)({ allErrors: true, strict: false, code: { source: true } });
const validate = ajv.compile(JSON.parse(text));
const code = (standaloneCode.default ?? standaloneCode)(ajv, validate);
const sha = createHash('sha256').update(text).digest('hex');
const out = join(top, 'dist', 'src', 'profile', 'profile-validator.cjs');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(sha)};\n`);
console.log(`build-validator: wrote ${out} (${code.length} bytes, schema sha256 ${sha.slice(0, 12)})`);
