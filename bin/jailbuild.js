#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json says so): Node runs a CommonJS entry point without starting its ES
// module loader, which cost about 10 ms of every run.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// The CLI bundle (scripts/build-bundle.mjs) is one file, loaded with the code V8 compiled for it at
// build time through load-cached.cjs (src/io/code-cache.ts as CommonJS, made by the same build); a
// build made with plain `tsc` has neither, and runs the modules themselves.
const BUNDLE_DIR = join(__dirname, '..', 'dist', 'src', 'bundle');
const BUNDLE = join(BUNDLE_DIR, 'cli.cjs');
const LOADER = join(BUNDLE_DIR, 'load-cached.cjs');

// A reader that stops early (`jailbuild resolve ... | head`) closes the pipe: end quietly with the
// status of a program killed by SIGPIPE (which Node ignores), not with an unhandled EPIPE.
// A command that writes its own stream to stdout (a tarball to `-`) listens too and reports the error
// itself: then this one leaves it alone.
process.stdout.on('error', (err) => {
  if (process.stdout.listenerCount('error') > 1) return;
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

/** @param {{ main: (argv: string[]) => Promise<number>, keepYoungGenerationSmall?: () => void }} cli */
function run(cli) {
  // Once loaded (the code cache is made under V8's default flags): see src/io/young-generation.ts. The
  // loaded code's own copy, which the shell parser's loader consults.
  cli.keepYoungGenerationSmall?.();
  cli.main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      // main() reports every error itself; this is a bug's last word.
      console.error(err);
      process.exitCode = 1;
    },
  );
}

if (existsSync(BUNDLE) && existsSync(LOADER)) {
  run(require(LOADER).loadCommonJs(BUNDLE, `${BUNDLE}.v8cache`).exports);
} else {
  import('../dist/src/cli/main.js').then(run, (err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
