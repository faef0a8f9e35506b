#!/usr/bin/env node
// Bundles the command line (dist/src/cli/main.js and what it imports, our modules and the npm
// packages) into one CommonJS file, dist/src/bundle/cli.cjs, then has scripts/make-code-cache.mjs
// make V8's code cache for it (cli.cjs.v8cache), which bin/jailbuild.js hands to V8 on every run (through
// load-cached.cjs, the loader of src/io/code-cache.ts as CommonJS, also made here).
// Why: Node's module resolution (finding, reading and linking each of about 120 ES modules and their
// package.json files) was the largest share of a one-program build's start-up, and once one file was
// loaded, parsing and compiling it was the next (about a third of a short command); Node 20 caches
// compiled code only for a script it is given, not for ES modules, hence CommonJS. A command's own
// modules still run only when that command runs (esbuild turns `import()` into a deferred init). Left
// out: mvdan-sh (1.5 MB, loaded on the first shell script) and the profile validator compiled by
// build-validator.mjs (loaded when a profile is read), each with a code cache of its own. The bundle sits at
// the same depth as dist/src/<folder>/, so paths the modules compute from import.meta.url (the shipped
// profiles, package.json, the namespace helper) resolve the same from either place. The library
// (dist/src/index.js) is not bundled.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(top, 'dist', 'src', 'bundle');
const outfile = join(outdir, 'cli.cjs');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(top, 'dist', 'src', 'cli', 'main.js')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // A package's ES module build first: jsonc-parser's main build is UMD, whose require() calls a bundler
  // cannot follow.
  mainFields: ['module', 'main'],
  // Our modules find shipped files from import.meta.url, which CommonJS has not: the bundle's own URL.
  define: { 'import.meta.url': '__jailbuild_bundle_url' },
  // "use strict" first: a banner before esbuild's own directive would make the whole bundle sloppy.
  banner: { js: "'use strict';\nconst __jailbuild_bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  // cosmiconfig's loader for TypeScript config files imports typescript (9 MB) when one is met: left to node_modules.
  external: ['mvdan-sh', 'typescript'],
  legalComments: 'eof',
  logLevel: 'warning',
});
asciiOnly(outfile);
// The loader bin/jailbuild.js requires: src/io/code-cache.ts (and what it imports) as CommonJS. The
// entry point is a CommonJS script so that Node does not start its ES module loader for it (about
// 10 ms of every run); Node 20 cannot require() an ES module, hence this copy of the same code.
await build({
  entryPoints: [join(top, 'dist', 'src', 'io', 'code-cache.js')],
  outfile: join(outdir, 'load-cached.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
const bytes = statSync(outfile).size;
// The code cache is made by a fresh Node process with no NODE_OPTIONS: V8 accepts a cache only under
// the flags it was made with, and jailbuild runs without any.
const env = { ...process.env };
delete env.NODE_OPTIONS;
const cache = spawnSync(process.execPath, [join(top, 'scripts', 'make-code-cache.mjs')], { env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (cache.status !== 0) {
  console.error('build-bundle: making the code cache failed (scripts/make-code-cache.mjs); the bundle runs without it');
  process.exit(1);
}
console.log(`build-bundle: wrote ${outfile} (${(bytes / 1024).toFixed(0)} KiB); ${cache.stdout.trim()}`);

/**
 * esbuild writes code in ASCII (its default charset escapes the rest), but keeps some comments as
 * they were, and a dependency's comment with curly quotes made the whole megabyte of source a string
 * of two bytes per character in V8: decoded and copied into 2 MiB of fresh memory, 500 more page
 * faults on every run. Non-ASCII characters inside comments (found by TypeScript's parser, so a
 * string or a regular expression is never touched) become '?'; whatever else is not ASCII is left.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[\u0080-\uffff]/.test(text)) return;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const comments = new Map();
  const note = (ranges) => {
    for (const r of ranges ?? []) comments.set(r.pos, r.end);
  };
  const visit = (node) => {
    note(ts.getLeadingCommentRanges(text, node.pos));
    note(ts.getTrailingCommentRanges(text, node.end));
    ts.forEachChild(node, visit);
  };
  visit(source);
  note(ts.getLeadingCommentRanges(text, source.endOfFileToken.pos));
  let out = '';
  let at = 0;
  for (const [pos, end] of [...comments].sort((a, b) => a[0] - b[0])) {
    if (pos < at) continue;
    out += text.slice(at, pos) + text.slice(pos, end).replace(/[\u0080-\uffff]/g, '?');
    at = end;
  }
  out += text.slice(at);
  writeFileSync(file, out);
}
