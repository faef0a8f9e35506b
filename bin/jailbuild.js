#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

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
