#!/usr/bin/env node
// Makes V8's code caches, run by build-bundle.mjs in a fresh Node process: for the CLI bundle
// (dist/src/bundle/cli.cjs -> cli.cjs.v8cache), for the shell parser, mvdan-sh
// (dist/src/bundle/mvdan-sh.v8cache), and for the profile validator that build-validator.mjs made
// (dist/src/bundle/profile-validator.v8cache). V8 compiles a function when it first runs, and a code cache
// holds what was compiled when it was made: so each is loaded from source and run through the work
// most runs do (help, resolving programs and shell scripts, building a profile into a tarball with a
// manifest, auditing it) with its output discarded, in a temporary folder removed afterwards, and only
// then is its cache taken. A command that fails here (a machine without some program) only leaves its
// functions to be compiled at run time; the bundle must load and print its help, or this fails.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE, CODE_CACHE, loadBundle } from '../bin/cli-loader.mjs';
import { codeCacheBytes, loadedScripts } from '../dist/src/io/code-cache.js';
import { loadProfile, loadProfileFromObject, resolveInputs } from '../dist/src/index.js';
import { SHELL_PARSER_CACHE, shellParserFile } from '../dist/src/script/shell-parse.js';
import { PROFILE_VALIDATOR_CACHE, profileValidatorFile } from '../dist/src/profile/validate-profile.js';

/** A script with the constructs real ones use, for the shell parser and our analysis of it. */
const SCRIPT = readFileSync(new URL('./code-cache-training.sh', import.meta.url), 'utf8');

const silent = { stdout: () => {}, stderr: () => {} };
/** The shipped profiles (profiles/*.json but the schema), for the validator's training. */
const SHIPPED = readdirSync(new URL('../profiles/', import.meta.url))
  .filter((f) => f.endsWith('.json') && f !== 'schema.json')
  .map((f) => f.slice(0, -'.json'.length));
const work = mkdtempSync(join(tmpdir(), 'jailbuild-code-cache-'));
// A script in a folder others may not enter is not read (the host keeps it private): open it up.
chmodSync(work, 0o755);

/** Writes a cache beside the code, whole or not at all. */
function save(path, data) {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

const { exports, script: bundleScript } = loadBundle(BUNDLE, null);
const codes = [];
let shellScripts;
try {
  const profile = join(work, 'training.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', binaries: ['/bin/sh'] }));
  const tar = join(work, 'training.tar');
  const runs = [
    ['--help'],
    ['resolve', '--json', '--no-cache', '/bin/sh', process.execPath],
    ['resolve', '--no-cache', '/bin/sh'],
    ['profile', profile, '--tar', tar, '--manifest', join(work, 'manifest.json'), '--no-cache', '--json'],
    ['audit', tar, '--json'],
  ];
  for (const argv of runs) codes.push(await exports.main(argv, silent));
  if (codes[0] !== 0) throw new Error(`the bundle's --help exited with ${codes[0]}`);
  // The shell parser, through the library's own loader (which records the script it compiled).
  const trainingScript = join(work, 'training.sh');
  writeFileSync(trainingScript, SCRIPT);
  chmodSync(trainingScript, 0o755);
  const results = resolveInputs([trainingScript], { dlopen: 'none' });
  shellScripts = results.filter((r) => r.kind === 'script').length;
  // The profile validator, through the library's loader as well: every shipped profile, and one that
  // fails (its error paths). A shipped profile that does not load here only leaves code uncompiled.
  for (const name of SHIPPED) {
    try {
      loadProfile(name);
    } catch {
      // See above.
    }
  }
  try {
    loadProfileFromObject({ binaries: [7], tree: '/x', users: [{ name: 'a', uid: 'b' }] });
  } catch {
    // Expected: the point was to run the validator's error paths.
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const bundleCache = bundleScript.createCachedData();
save(CODE_CACHE, codeCacheBytes(readFileSync(BUNDLE), bundleCache));
const parser = loadedScripts.get(shellParserFile());
if (!parser || shellScripts !== 1) throw new Error('the shell parser was not loaded by the training script');
const parserCache = parser.createCachedData();
save(SHELL_PARSER_CACHE, codeCacheBytes(readFileSync(shellParserFile()), parserCache));
const validator = loadedScripts.get(profileValidatorFile());
if (!validator) throw new Error('the profile validator was not loaded by the training profiles (run build-validator.mjs first)');
const validatorCache = validator.createCachedData();
save(PROFILE_VALIDATOR_CACHE, codeCacheBytes(readFileSync(profileValidatorFile()), validatorCache));
console.log(
  `code caches: the bundle ${(bundleCache.length / 1024).toFixed(0)} KiB after training runs exiting ${codes.join(', ')}; the shell parser ${(parserCache.length / 1024).toFixed(0)} KiB; the profile validator ${(validatorCache.length / 1024).toFixed(0)} KiB`,
);
