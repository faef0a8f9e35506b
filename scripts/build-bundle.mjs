#!/usr/bin/env node
// Bundles the command line (dist/src/cli/main.js and what it imports, our modules and the npm
// packages) into a few files under dist/src/bundle/, so a run loads 3 to 6 files instead of about 120:
// Node's module resolution (finding, reading and linking each ES module and package.json) was the
// largest share of a one-program build's start-up. Each command stays its own chunk, loaded when that
// command runs (code splitting). Left out of the bundle: mvdan-sh (1.5 MB, loaded on the first shell
// script through createRequire) and the profile validator compiled by build-validator.mjs (loaded
// through createRequire as well). The bundle sits at the same depth as dist/src/<folder>/, so paths
// the modules compute from import.meta.url (the shipped profiles, package.json, the namespace helper)
// resolve the same from either place. The library (dist/src/index.js) is not bundled.
import { rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(top, 'dist', 'src', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { cli: join(top, 'dist', 'src', 'cli', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A package's ES module build first: jsonc-parser's main build is UMD, whose require() calls a bundler
  // cannot follow.
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.mjs' },
  // Packages written as CommonJS call require() at run time; an ES module bundle has none of its own.
  banner: { js: "import { createRequire as __jailbuildRequire } from 'node:module'; const require = __jailbuildRequire(import.meta.url);" },
  // cosmiconfig's loader for TypeScript config files imports typescript (9 MB) when one is met: left to node_modules.
  external: ['mvdan-sh', 'typescript'],
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs'));
const bytes = files.reduce((n, f) => n + statSync(join(top, f)).size, 0);
console.log(`build-bundle: wrote ${files.length} files in ${outdir} (${(bytes / 1024).toFixed(0)} KiB)`);
