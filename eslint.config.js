// ESLint flat config: `npm run lint` runs it (then `prettier --check .`).
//
// Every file: ESLint's and typescript-eslint's recommended rules (the syntax-only set, which also works
// on the .mjs of bench/ and test/run.mjs). TypeScript files and bin/: in addition, the few type-aware
// rules that catch real bugs in this code base: promises nobody waits for or that are passed where a
// plain callback is expected (a rejected copy or removal that goes unnoticed), awaiting what is no
// promise, throwing or rejecting with something that is no Error (JailError carries the code the CLI
// exits with), and type assertions that assert nothing. The `no-unsafe-*` family is left out: the code
// narrows JSON and `unknown` by hand and the rest of the family fires mostly on test fixtures.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'cache/', '.tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `catch {}` is how best-effort cleanup says "nothing to do"; other empty blocks stay errors.
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.ts', 'bin/*.js'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  {
    // The command's entry point is CommonJS (bin/package.json), so that Node starts no ES module
    // loader for it (about 10 ms of every run): require() is how it loads.
    files: ['bin/jailbuild.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
