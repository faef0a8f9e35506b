#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { BUNDLE, loadBundle } from './cli-loader.mjs';

// The CLI bundle (scripts/build-bundle.mjs) is one file, loaded with the code V8 compiled for it at
// build time (see cli-loader.mjs); a build made with plain `tsc` has none, and runs the modules themselves.
// A reader that stops early (`jailbuild resolve ... | head`) closes the pipe: end quietly with the
// status of a program killed by SIGPIPE (which Node ignores), not with an unhandled EPIPE.
// A command that writes its own stream to stdout (a tarball to `-`) listens too and reports the error
// itself: then this one leaves it alone.
process.stdout.on('error', (err) => {
  if (process.stdout.listenerCount('error') > 1) return;
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

const { main, keepYoungGenerationSmall } = existsSync(BUNDLE) ? loadBundle().exports : await import('../dist/src/cli/main.js');
// Once loaded (the code cache is made under V8's default flags): see src/io/young-generation.ts. The
// loaded code's own copy, which the shell parser's loader consults; a build from before it has none.
keepYoungGenerationSmall?.();

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() reports every error itself; this is a bug's last word.
    console.error(err);
    process.exitCode = 1;
  },
);
