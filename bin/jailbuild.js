#!/usr/bin/env node
import { existsSync } from 'node:fs';

// The CLI bundle (scripts/build-bundle.mjs) loads a few files instead of about 120 modules; a build
// made with plain `tsc` has none, and runs the modules themselves.
const bundle = new URL('../dist/src/bundle/cli.mjs', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/src/cli/main.js');

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
